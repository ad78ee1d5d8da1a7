package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"
)

// plainField is a generated field resolver which either only reads its
// object's field or method (graphql.ResolveField with `return obj.X, nil`
// or `obj.X()` as resolver: a plain field), with no middleware chain or
// one directive without arguments, or calls its resolver on the object
// (`return ec.Resolvers.T().F(ctx, obj)`, or with the arguments its field
// context parsed) with no middleware chain.
type plainField struct {
	body       *ast.BlockStmt // of the generated function
	call       *ast.ReturnStmt
	value      string // obj.X or obj.X()
	resolver   string // ec.Resolvers.T().F, instead of value
	marshal    string // ec.marshal… function
	object     string
	isMethod   bool
	isResolver bool
	subfields  bool // an object or list of objects: its result is recorded
	recover    bool
	// A plain field under one directive without arguments
	// (@identifiable): its middleware chain, the chain's result type and
	// whether the field is non-null.
	chain     string
	valueType string
	nonNull   bool
	// A resolver taking arguments: the generated function parsing them
	// (ec.field_T_f_args), and the resolver's argument expressions.
	argsFunc string
	args     []string
}

// rewritePlainFields gives every such field's generated resolver a fast
// path under graph's fieldCtx (graph/marshal.go says why) when the
// operation has no field interceptor, keeping gqlgen's call for the other
// case. It returns src unchanged elsewhere.
func rewritePlainFields(path string, src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	fieldContexts := map[string]*ast.FuncDecl{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil {
			fieldContexts[fd.Name.Name] = fd
		}
	}
	var fields []plainField
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil || fd.Body == nil {
			continue
		}
		if p, ok := matchPlainField(fset, src, fd, fieldContexts); ok {
			fields = append(fields, p)
		}
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("%s: no plain field resolvers to rewrite; check the gqlgen version", path)
	}
	var out bytes.Buffer
	last := 0
	for _, p := range fields {
		start, end := fset.Position(p.body.Lbrace).Offset, fset.Position(p.body.Rbrace).Offset+1
		out.Write(src[last:start])
		call := src[fset.Position(p.call.Pos()).Offset:fset.Position(p.call.End()).Offset]
		fmt.Fprintf(&out, "{\n\tif !fastBelow(ctx, ec.OperationContext) {\n\t\t%s\n\t}\n", call)
		if p.nodeID() {
			// The node's ID, written from its parts (graph/scalars.go).
			out.WriteString("\treturn newIDAt(obj)\n}")
			last = end
			continue
		}
		if p.contextFree() {
			// Nothing below the field, and nothing in it, can report an
			// error or read its field context: it needs none.
			switch {
			case p.marshal == "ec.marshalNString2string":
				fmt.Fprintf(&out, "\treturn stringAt{&%s}\n}", p.value)
			case p.marshal == "ec.marshalOString2ᚖstring":
				fmt.Fprintf(&out, "\tif v := %s; v != nil {\n\t\treturn stringAt{v}\n\t}\n\treturn graphql.Null\n}", p.value)
			case p.marshal == "ec.marshalNInt2int":
				fmt.Fprintf(&out, "\treturn intAt{&%s}\n}", p.value)
			case p.marshal == "ec.marshalOInt2ᚖint":
				fmt.Fprintf(&out, "\tif v := %s; v != nil {\n\t\treturn intAt{v}\n\t}\n\treturn graphql.Null\n}", p.value)
			default:
				fmt.Fprintf(&out, "\treturn %s(ctx, field.Selections, %s)\n}", p.marshal, p.value)
			}
			last = end
			continue
		}
		fmt.Fprintf(&out, "\tfc := newFieldCtx(ctx, field, %s, %t, %t)\n", strconv.Quote(p.object), p.isMethod, p.isResolver)
		if p.recover {
			out.WriteString("\tdefer recoverField(fc, ec.OperationContext, &ret)\n")
		}
		if p.chain != "" {
			fmt.Fprintf(&out, "\tchain := %s\n", p.chain)
			fmt.Fprintf(&out, "\tres, err := chain(fc, func(ctx context.Context) (any, error) {\n\t\treturn %s, nil\n\t})(fc)\n", p.value)
			fmt.Fprintf(&out, "\tv, null := directiveResult[%s](fc, ec.OperationContext, res, err, %t)\n\tif null != nil {\n\t\treturn null\n\t}\n", p.valueType, p.nonNull)
		} else if p.argsFunc != "" {
			fmt.Fprintf(&out, "\targs, err := fieldArgs(fc, %s, ec.Variables)\n\tif err != nil {\n\t\tec.Error(fc, err)\n\t\treturn graphql.Null\n\t}\n\tfc.fc.Args = args\n", p.argsFunc)
			fmt.Fprintf(&out, "\tv, err := %s(fc, obj, %s)\n\tif err != nil {\n\t\treturn fieldError(fc, ec.OperationContext, err)\n\t}\n", p.resolver, strings.Join(p.args, ", "))
		} else if p.resolver != "" {
			fmt.Fprintf(&out, "\tv, err := %s(fc, obj)\n\tif err != nil {\n\t\treturn fieldError(fc, ec.OperationContext, err)\n\t}\n", p.resolver)
		} else if p.marshal == "ec.marshalNString2string" && !strings.HasSuffix(p.value, ")") {
			// A string of the object, written from where it is
			// (stringAt) rather than boxed into a closure.
			fmt.Fprintf(&out, "\treturn stringAt{&%s}\n}", p.value)
			last = end
			continue
		} else {
			fmt.Fprintf(&out, "\tv := %s\n", p.value)
		}
		if p.subfields {
			out.WriteString("\tfc.fc.Result = v\n")
		}
		if p.marshal == "ec.marshalOString2ᚖstring" && p.resolver == "" {
			out.WriteString("\tif v == nil {\n\t\treturn graphql.Null\n\t}\n\treturn stringAt{v}\n}")
			last = end
			continue
		}
		fmt.Fprintf(&out, "\treturn %s(fc, field.Selections, v)\n}", p.marshal)
		last = end
	}
	out.Write(src[last:])
	return out.Bytes(), nil
}

// contextFree reports whether the field reads a scalar or enum straight
// from its object (no method, resolver or directive that could fail or
// panic) and marshals it with a marshaller that cannot fail for its value:
// an optional one, whose only special case is nil, or a non-null one of a
// Go value type, which is never null. Such a field needs no field context
// of its own, which is most of the fields of a listing: it would only
// ever be read to place an error.
func (p plainField) contextFree() bool {
	if p.chain != "" || p.resolver != "" || p.argsFunc != "" || p.isMethod || p.subfields || p.value == "" {
		return false
	}
	if strings.Contains(p.marshal, "ᚕ") { // a list: its elements' marshallers may fail
		return false
	}
	switch p.marshal {
	case "ec.marshalNString2string", "ec.marshalNInt2int", "ec.marshalNBoolean2bool", "ec.marshalNFloat2float64":
		return true
	}
	return strings.HasPrefix(p.marshal, "ec.marshalO")
}

// nodeID reports whether the field is a node's id: the ID() method of a
// model type, whose parts (GlobalIDParts, which every such type has) are
// written without building the string. The method only encodes two
// fields of its object: it cannot fail.
func (p plainField) nodeID() bool {
	return p.isMethod && p.value == "obj.ID()" && p.marshal == "ec.marshalNID2string" &&
		p.chain == "" && p.resolver == "" && p.argsFunc == "" && !p.subfields
}

// matchPlainField recognises gqlgen's resolver of a plain field.
func matchPlainField(fset *token.FileSet, src []byte, fd *ast.FuncDecl, fieldContexts map[string]*ast.FuncDecl) (plainField, bool) {
	var p plainField
	if len(fd.Body.List) != 1 {
		return p, false
	}
	ret, ok := fd.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return p, false
	}
	call, ok := ret.Results[0].(*ast.CallExpr)
	if !ok || text(fset, src, call.Fun) != "graphql.ResolveField" || len(call.Args) != 9 {
		return p, false
	}
	a := call.Args
	if text(fset, src, a[0]) != "ctx" || text(fset, src, a[1]) != "ec.OperationContext" || text(fset, src, a[2]) != "field" {
		return p, false
	}
	if chain := text(fset, src, a[5]); chain != "nil" {
		if !oneDirective.MatchString(chain) {
			return p, false
		}
		p.chain = chain
	}
	// The field context: ec.fieldContext_T_f(ctx, field).
	fcCall, ok := onlyReturn(a[3], 1)
	if !ok {
		return p, false
	}
	fcFn, ok := fcCall[0].(*ast.CallExpr)
	if !ok || len(fcCall) != 1 {
		return p, false
	}
	sel, ok := fcFn.Fun.(*ast.SelectorExpr)
	if !ok || text(fset, src, sel.X) != "ec" || text(fset, src, fcFn) != "ec."+sel.Sel.Name+"(ctx, field)" {
		return p, false
	}
	decl := fieldContexts[sel.Sel.Name]
	if decl == nil || !matchFieldContext(fset, src, decl, &p) {
		return p, false
	}
	// The resolver: return obj.X, nil or return obj.X(), nil, or
	// return ec.Resolvers.T().F(ctx, obj).
	if stmts, ok := funcBody(a[4]); ok && p.argsFunc != "" {
		// fc := graphql.GetFieldContext(ctx)
		// return ec.Resolvers.T().F(ctx, obj, fc.Args["a"].(A), …)
		if len(stmts) != 2 || text(fset, src, stmts[0]) != "fc := graphql.GetFieldContext(ctx)" {
			return p, false
		}
		ret, ok := stmts[1].(*ast.ReturnStmt)
		if !ok || len(ret.Results) != 1 {
			return p, false
		}
		c, ok := ret.Results[0].(*ast.CallExpr)
		if !ok || len(c.Args) < 3 || text(fset, src, c.Args[0]) != "ctx" || text(fset, src, c.Args[1]) != "obj" {
			return p, false
		}
		p.resolver = text(fset, src, c.Fun)
		if !resolverCall.MatchString(p.resolver) {
			return p, false
		}
		for _, e := range c.Args[2:] {
			arg := text(fset, src, e)
			if !argExpr.MatchString(arg) {
				return p, false
			}
			p.args = append(p.args, "args"+strings.TrimPrefix(arg, "fc.Args"))
		}
	} else if p.argsFunc != "" {
		return p, false
	} else if res, ok := onlyReturn(a[4], 1); ok {
		c, ok := res[0].(*ast.CallExpr)
		if !ok || len(c.Args) != 2 || text(fset, src, c.Args[0]) != "ctx" || text(fset, src, c.Args[1]) != "obj" {
			return p, false
		}
		fn := text(fset, src, c.Fun)
		if !resolverCall.MatchString(fn) {
			return p, false
		}
		p.resolver = fn
	} else {
		res, ok := onlyReturn(a[4], 2)
		if !ok || text(fset, src, res[1]) != "nil" {
			return p, false
		}
		value := res[0]
		if c, ok := value.(*ast.CallExpr); ok && len(c.Args) == 0 {
			value = c.Fun
		}
		if vs, ok := value.(*ast.SelectorExpr); !ok || text(fset, src, vs.X) != "obj" {
			return p, false
		}
		p.value = text(fset, src, res[0])
	}
	// Only a field with a resolver has one, whatever its body.
	if p.isResolver != (p.resolver != "") || (p.chain != "" && p.resolver != "") {
		return p, false
	}
	// The marshaller: return ec.marshal…(ctx, selections, v).
	m, ok := onlyReturn(a[6], 1)
	if !ok {
		return p, false
	}
	mc, ok := m[0].(*ast.CallExpr)
	if !ok || len(mc.Args) != 3 || text(fset, src, mc.Args[0]) != "ctx" || text(fset, src, mc.Args[1]) != "selections" || text(fset, src, mc.Args[2]) != "v" {
		return p, false
	}
	p.marshal = text(fset, src, mc.Fun)
	switch text(fset, src, a[7]) {
	case "true":
		p.recover = true
	case "false":
	default:
		return p, false
	}
	if p.chain != "" {
		ft := a[6].(*ast.FuncLit).Type
		if len(ft.Params.List) != 3 || len(ft.Params.List[2].Names) != 1 {
			return p, false
		}
		p.valueType = text(fset, src, ft.Params.List[2].Type)
		switch text(fset, src, a[8]) {
		case "true":
			p.nonNull = true
		case "false":
		default:
			return p, false
		}
	}
	p.body, p.call = fd.Body, ret
	return p, true
}

// matchFieldContext recognises a field context without arguments: either
// graphql.NewScalarFieldContext("T", field, isMethod, isResolver, "Type")
// or fc = &graphql.FieldContext{Object, Field, IsMethod, IsResolver,
// Child}; return fc, nil.
func matchFieldContext(fset *token.FileSet, src []byte, fd *ast.FuncDecl, p *plainField) bool {
	stmts := fd.Body.List
	if len(stmts) == 1 {
		ret, ok := stmts[0].(*ast.ReturnStmt)
		if !ok || len(ret.Results) != 1 {
			return false
		}
		c, ok := ret.Results[0].(*ast.CallExpr)
		if !ok || text(fset, src, c.Fun) != "graphql.NewScalarFieldContext" || len(c.Args) != 5 || text(fset, src, c.Args[1]) != "field" {
			return false
		}
		return setContext(fset, src, p, c.Args[0], c.Args[2], c.Args[3])
	}
	if len(stmts) == 5 {
		// The arguments, parsed under the field's context:
		//	defer func() { … recover … }()
		//	ctx = graphql.WithFieldContext(ctx, fc)
		//	if fc.Args, err = ec.field_T_f_args(ctx, field.ArgumentMap(ec.Variables)); err != nil { … }
		if !argsRecover.MatchString(text(fset, src, stmts[1])) || text(fset, src, stmts[2]) != "ctx = graphql.WithFieldContext(ctx, fc)" {
			return false
		}
		m := argsParse.FindStringSubmatch(text(fset, src, stmts[3]))
		if m == nil {
			return false
		}
		p.argsFunc = m[1]
		stmts = []ast.Stmt{stmts[0], stmts[4]}
	}
	if len(stmts) != 2 || text(fset, src, stmts[1]) != "return fc, nil" {
		return false
	}
	as, ok := stmts[0].(*ast.AssignStmt)
	if !ok || len(as.Lhs) != 1 || text(fset, src, as.Lhs[0]) != "fc" || as.Tok != token.ASSIGN {
		return false
	}
	u, ok := as.Rhs[0].(*ast.UnaryExpr)
	if !ok || u.Op != token.AND {
		return false
	}
	lit, ok := u.X.(*ast.CompositeLit)
	if !ok || text(fset, src, lit.Type) != "graphql.FieldContext" {
		return false
	}
	kv := map[string]ast.Expr{}
	for _, e := range lit.Elts {
		k, ok := e.(*ast.KeyValueExpr)
		if !ok {
			return false
		}
		kv[text(fset, src, k.Key)] = k.Value
	}
	if len(kv) != 5 || kv["Child"] == nil || kv["Field"] == nil || text(fset, src, kv["Field"]) != "field" {
		return false
	}
	p.subfields = true
	return kv["Object"] != nil && kv["IsMethod"] != nil && kv["IsResolver"] != nil &&
		setContext(fset, src, p, kv["Object"], kv["IsMethod"], kv["IsResolver"])
}

func setContext(fset *token.FileSet, src []byte, p *plainField, object, isMethod, isResolver ast.Expr) bool {
	o, ok := object.(*ast.BasicLit)
	if !ok || o.Kind != token.STRING {
		return false
	}
	var err error
	if p.object, err = strconv.Unquote(o.Value); err != nil {
		return false
	}
	m, r := text(fset, src, isMethod), text(fset, src, isResolver)
	if (m != "true" && m != "false") || (r != "true" && r != "false") {
		return false
	}
	p.isMethod, p.isResolver = m == "true", r == "true"
	return true
}

// oneDirective is gqlgen's middleware chain of a field with one directive
// that takes no arguments, as it calls it on the object and the field's
// resolver; anything else (arguments, several directives) keeps gqlgen's
// path.
var oneDirective = regexp.MustCompile(`^func\(ctx context\.Context, next graphql\.Resolver\) graphql\.Resolver \{\s*` +
	`directive0 := next\s*` +
	`directive1 := func\(ctx context\.Context\) \(any, error\) \{\s*` +
	`if ec\.Directives\.([A-Za-z0-9_]+) == nil \{\s*var zeroVal [^\n]+\s*return zeroVal, errors\.New\("directive [A-Za-z0-9_]+ is not implemented"\)\s*\}\s*` +
	`return ec\.Directives\.([A-Za-z0-9_]+)\(ctx, obj, directive0\)\s*\}\s*` +
	`next = directive1\s*return next\s*\}$`)

// argsRecover, argsParse and argExpr are the parts of a field context
// parsing arguments, and of its resolver's call, that the fast path
// takes over.
var (
	argsRecover = regexp.MustCompile(`^defer func\(\) \{\s*if r := recover\(\); r != nil \{\s*err = ec\.Recover\(ctx, r\)\s*ec\.Error\(ctx, err\)\s*\}\s*\}\(\)$`)
	argsParse   = regexp.MustCompile(`^if fc\.Args, err = (ec\.field_[A-Za-z0-9_]+_args)\(ctx, field\.ArgumentMap\(ec\.Variables\)\); err != nil \{\s*ec\.Error\(ctx, err\)\s*return fc, err\s*\}$`)
	argExpr     = regexp.MustCompile(`^fc\.Args\["[A-Za-z0-9_]+"\]\.\([^()]+\)$`)
)

// funcBody returns the statements of a function literal.
func funcBody(e ast.Expr) ([]ast.Stmt, bool) {
	fl, ok := e.(*ast.FuncLit)
	if !ok {
		return nil, false
	}
	return fl.Body.List, true
}

// resolverCall is the generated call of an object's resolver.
var resolverCall = regexp.MustCompile(`^ec\.Resolvers\.[A-Za-z0-9_]+\(\)\.[A-Za-z0-9_]+$`)

// onlyReturn returns the results of a function literal whose body is one
// return statement of n results.
func onlyReturn(e ast.Expr, n int) ([]ast.Expr, bool) {
	fl, ok := e.(*ast.FuncLit)
	if !ok || len(fl.Body.List) != 1 {
		return nil, false
	}
	ret, ok := fl.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != n {
		return nil, false
	}
	return ret.Results, true
}

func text(fset *token.FileSet, src []byte, n ast.Node) string {
	return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
}
