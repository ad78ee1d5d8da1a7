package server

import (
	"fmt"
	"net/http"
	"strings"
)

// probeMethods are the methods tried to tell a path that does not exist
// from one that exists under other methods.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// jsonMisses answers what mux has no route for with the API's JSON error
// shape instead of the mux's plain text: 404 NOT_FOUND for a path that
// does not exist, 405 with Allow for a path that exists under other
// methods.
func jsonMisses(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		var allow []string
		for _, m := range probeMethods {
			probe := *r
			probe.Method = m
			if _, pattern := mux.Handler(&probe); pattern != "" && m != r.Method {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeJSONError(w, http.StatusMethodNotAllowed, "BAD_USER_INPUT",
				fmt.Sprintf("method %.20s is not allowed on %.200s: use %s", r.Method, r.URL.Path, strings.Join(allow, ", ")))
			return
		}
		writeJSONError(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("no such path: %.200s", r.URL.Path))
	})
}
