// Package governance decides who may read what, from the schema's own
// declarations: @hasRole on fields and object types (roles.go, enforced
// once per operation, and field by field only when an operation reaches
// something the caller may not read), @identifiable on HES restricted
// fields (directives.go: ADMIN, or CLINICIAN for patients of their
// organisations, every read audited), and the list of restricted fields
// that db's NULL selection and the extract's column permissions use
// (restricted.go). The Governance extension (extension.go) gives each
// operation its state and hands the audit record to the writer.
//
// internal/auth establishes who the caller is; this package decides what
// that caller may see.
package governance
