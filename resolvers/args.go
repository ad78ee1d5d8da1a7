package resolvers

import "github.com/hesgql/hesgql/graph/model"

func page(first *int, after *string, last *int, before *string) model.Page {
	return model.Page{First: first, After: after, Last: last, Before: before}
}
