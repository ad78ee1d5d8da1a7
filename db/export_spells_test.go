package db

// SetSpellChunkForTest makes spell rebuilds work n patients at a time and
// returns the function restoring the default.
func SetSpellChunkForTest(n int) func() {
	old := spellChunk
	spellChunk = n
	return func() { spellChunk = old }
}
