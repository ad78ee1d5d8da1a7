package dictionary

//go:generate go run ./internal/gen -in hes_apc_tos_v1.15.csv -out values_gen.go
