package graph

import (
	"reflect"
	"testing"
)

// Every getter of ResolverRoot is answered from the cache: a type the
// cache does not list would fall back to a getter allocating per call.
func TestCachedResolversCoverTheRoot(t *testing.T) {
	root := reflect.TypeFor[ResolverRoot]()
	cached := reflect.TypeFor[*cachedResolvers]()
	for i := range root.NumMethod() {
		name := root.Method(i).Name
		m, ok := cached.MethodByName(name)
		if !ok || m.Func.Pointer() == 0 {
			t.Errorf("%s: not a method of the cache", name)
			continue
		}
		// A promoted method of the embedded root is a wrapper gqlgen's
		// getter would be called through; the cache's own field must
		// exist for each.
		if _, ok := reflect.TypeFor[cachedResolvers]().FieldByName(lowerFirst(name)); !ok {
			t.Errorf("%s: the cache keeps no resolver of it", name)
		}
	}
}

func lowerFirst(s string) string {
	return string(s[0]|0x20) + s[1:]
}
