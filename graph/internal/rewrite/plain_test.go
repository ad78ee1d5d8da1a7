package main

import (
	"strings"
	"testing"
)

// The rewrite gives a fast path to plain fields, to plain fields under
// one directive without arguments and to resolvers of the object, with
// their arguments parsed once per field.
func TestRewritePlainFields(t *testing.T) {
	out, err := rewritePlainFields("generated.go", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	funcs := strings.Split(string(out), "\nfunc ")
	fast := map[string]bool{}
	for _, f := range funcs {
		name, ok := strings.CutPrefix(f, "(ec *executionContext) ")
		if !ok {
			continue // the package clause
		}
		name = name[:strings.IndexByte(name, '(')]
		fast[name] = strings.Contains(f, "if !fastBelow(ctx, ec.OperationContext) {")
	}
	want := map[string]bool{"_Patient_birthYear": true, "_Episode_id": true, "_EpisodeEdge_node": true, "_Episode_patient": true, "_Patient_nhsNumber": true, "_Patient_episodes": true}
	for name, w := range want {
		if fast[name] != w {
			t.Errorf("%s: fast path %t, want %t", name, fast[name], w)
		}
	}
	for _, frag := range []string{
		// A scalar read from the object takes no field context, nor does
		// a node's id, written from its parts.
		"\t}\n\tif v := obj.BirthYear; v != nil {\n\t\treturn intAt{v}\n\t}\n\treturn graphql.Null\n}",
		"\t}\n\treturn newIDAt(obj)\n}",
		"v := obj.Node\n\tfc.fc.Result = v\n",
		"return ec.Directives.Identifiable(ctx, obj, directive0)",
		"res, err := chain(fc, func(ctx context.Context) (any, error) {\n\t\treturn obj.NhsNumber, nil\n\t})(fc)\n\tv, null := directiveResult[*string](fc, ec.OperationContext, res, err, false)\n",
		"args, err := fieldArgs(fc, ec.field_Patient_episodes_args, ec.Variables)\n\tif err != nil {\n\t\tec.Error(fc, err)\n\t\treturn graphql.Null\n\t}\n\tfc.fc.Args = args\n\tv, err := ec.Resolvers.Patient().Episodes(fc, obj, args[\"filter\"].(*model.EpisodeFilter)",
		"v, err := ec.Resolvers.Episode().Patient(fc, obj)\n\tif err != nil {\n\t\treturn fieldError(fc, ec.OperationContext, err)\n\t}\n\tfc.fc.Result = v\n",
	} {
		if !strings.Contains(string(out), frag) {
			t.Errorf("output lacks %q", frag)
		}
	}
	if _, err := rewritePlainFields("generated.go", []byte("package graph\n")); err == nil {
		t.Error("a file without plain fields passed: a gqlgen upgrade could silently drop the fast path")
	}
}

// sample is gqlgen v0.17.98's output for a plain scalar method, a plain
// object field, a resolver, a field with a directive and one with
// arguments.
const sample = `package graph

func (ec *executionContext) _Patient_birthYear(ctx context.Context, field graphql.CollectedField, obj *model.Patient) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_Patient_birthYear(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			return obj.BirthYear, nil
		},
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v *int) graphql.Marshaler {
			return ec.marshalOInt2ᚖint(ctx, selections, v)
		},
		true,
		false,
	)
}

func (ec *executionContext) fieldContext_Patient_birthYear(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {
	return graphql.NewScalarFieldContext("Patient", field, false, false, "Int")
}

func (ec *executionContext) _Episode_id(ctx context.Context, field graphql.CollectedField, obj *model.Episode) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_Episode_id(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			return obj.ID(), nil
		},
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v string) graphql.Marshaler {
			return ec.marshalNID2string(ctx, selections, v)
		},
		true,
		true,
	)
}

func (ec *executionContext) fieldContext_Episode_id(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {
	return graphql.NewScalarFieldContext("Episode", field, true, false, "ID")
}

func (ec *executionContext) _EpisodeEdge_node(ctx context.Context, field graphql.CollectedField, obj *model.EpisodeEdge) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_EpisodeEdge_node(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			return obj.Node, nil
		},
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v *model.Episode) graphql.Marshaler {
			return ec.marshalNEpisode2ᚖgithubᚗcomᚋhesgqlᚋhesgqlᚋgraphᚋmodelᚐEpisode(ctx, selections, v)
		},
		true,
		true,
	)
}

func (ec *executionContext) fieldContext_EpisodeEdge_node(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {
	fc = &graphql.FieldContext{
		Object:     "EpisodeEdge",
		Field:      field,
		IsMethod:   false,
		IsResolver: false,
		Child: func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.childFields_Episode(ctx, field)
		},
	}
	return fc, nil
}

func (ec *executionContext) _Episode_patient(ctx context.Context, field graphql.CollectedField, obj *model.Episode) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_Episode_patient(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			return ec.Resolvers.Episode().Patient(ctx, obj)
		},
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v *model.Patient) graphql.Marshaler {
			return ec.marshalNPatient2ᚖgithubᚗcomᚋhesgqlᚋhesgqlᚋgraphᚋmodelᚐPatient(ctx, selections, v)
		},
		true,
		true,
	)
}

func (ec *executionContext) fieldContext_Episode_patient(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {
	fc = &graphql.FieldContext{
		Object:     "Episode",
		Field:      field,
		IsMethod:   true,
		IsResolver: true,
		Child: func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.childFields_Patient(ctx, field)
		},
	}
	return fc, nil
}

func (ec *executionContext) _Patient_nhsNumber(ctx context.Context, field graphql.CollectedField, obj *model.Patient) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_Patient_nhsNumber(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			return obj.NhsNumber, nil
		},
		func(ctx context.Context, next graphql.Resolver) graphql.Resolver {
			directive0 := next

			directive1 := func(ctx context.Context) (any, error) {
				if ec.Directives.Identifiable == nil {
					var zeroVal *string
					return zeroVal, errors.New("directive identifiable is not implemented")
				}
				return ec.Directives.Identifiable(ctx, obj, directive0)
			}

			next = directive1
			return next
		},
		func(ctx context.Context, selections ast.SelectionSet, v *string) graphql.Marshaler {
			return ec.marshalOString2ᚖstring(ctx, selections, v)
		},
		true,
		false,
	)
}

func (ec *executionContext) fieldContext_Patient_nhsNumber(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {
	return graphql.NewScalarFieldContext("Patient", field, false, false, "String")
}

func (ec *executionContext) _Patient_episodes(ctx context.Context, field graphql.CollectedField, obj *model.Patient) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_Patient_episodes(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			fc := graphql.GetFieldContext(ctx)
			return ec.Resolvers.Patient().Episodes(ctx, obj, fc.Args["filter"].(*model.EpisodeFilter), fc.Args["orderBy"].([]*model.EpisodeOrder), fc.Args["first"].(*int), fc.Args["after"].(*string), fc.Args["last"].(*int), fc.Args["before"].(*string))
		},
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v *model.EpisodeConnection) graphql.Marshaler {
			return ec.marshalNEpisodeConnection2ᚖgithubᚗcomᚋhesgqlᚋhesgqlᚋgraphᚋmodelᚐEpisodeConnection(ctx, selections, v)
		},
		true,
		true,
	)
}

func (ec *executionContext) fieldContext_Patient_episodes(ctx context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {
	fc = &graphql.FieldContext{
		Object:     "Patient",
		Field:      field,
		IsMethod:   true,
		IsResolver: true,
		Child: func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.childFields_EpisodeConnection(ctx, field)
		},
	}
	defer func() {
		if r := recover(); r != nil {
			err = ec.Recover(ctx, r)
			ec.Error(ctx, err)
		}
	}()
	ctx = graphql.WithFieldContext(ctx, fc)
	if fc.Args, err = ec.field_Patient_episodes_args(ctx, field.ArgumentMap(ec.Variables)); err != nil {
		ec.Error(ctx, err)
		return fc, err
	}
	return fc, nil
}
`
