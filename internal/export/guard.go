package export

// CSV injection. Spreadsheet programs treat a cell that begins with =, +, -
// or @ (and, in some, a tab or carriage return) as a formula, which can run
// commands or leak data when the file is opened. Such a cell is written with
// a leading apostrophe, which spreadsheets take as "this is text" and do not
// display.
//
// Numbers are left alone: the extract writes them itself, so a leading minus
// can only be a negative number, and defusing it would turn numbers into
// text for every program that reads the file. Dates and codes never start
// with a trigger character in valid data (HES placeholders such as "-" are
// stored as null, so they come out empty), which means the guard only ever
// fires on malformed or hostile values, and a program reading such a cell
// can recognise the added apostrophe.

// guardCell returns c, defused if a spreadsheet would read it as a formula.
func guardCell(c string) string {
	if c == "" {
		return c
	}
	switch c[0] {
	case '=', '+', '@', '\t', '\r':
		return "'" + c
	case '-':
		if isNegativeDecimal(c) {
			return c
		}
		return "'" + c
	}
	return c
}

// isNegativeDecimal reports whether c is a minus sign followed by a plain
// decimal number ("-3", "-0.5"), the only form the extract writes numbers in.
func isNegativeDecimal(c string) bool {
	digits, dot := 0, false
	for _, r := range c[1:] {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.' && !dot && digits > 0:
			dot = true
		default:
			return false
		}
	}
	return digits > 0 && c[len(c)-1] != '.'
}
