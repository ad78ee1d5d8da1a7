package db

// SetSpellChunkForTest makes spell rebuilds work n patients at a time and
// returns the function restoring the default.
func SetSpellChunkForTest(n int) func() {
	old := spellChunk
	spellChunk = n
	return func() { spellChunk = old }
}

// SetSpellBulkPatientsForTest makes derivations of n patients or more into
// empty spell tables defer their indexes, and returns the function
// restoring the default.
func SetSpellBulkPatientsForTest(n int) func() {
	old := spellBulkPatients
	spellBulkPatients = n
	return func() { spellBulkPatients = old }
}
