package graph

// PlainFieldsFast lets graph_test see whether an operation's plain fields
// take their fast path.
var PlainFieldsFast = plainFieldsFast
