package hes

// NHS numbers are ten digits: nine identifying digits and a modulus 11 check
// digit. Weights 10 down to 2 multiply the first nine digits; the check digit
// is 11 minus the remainder of their sum, with 11 written as 0. A body whose
// check digit would be 10 is never issued.

// SyntheticNHSNumbers is how many distinct numbers SyntheticNHSNumber returns
// before it repeats: 100,000 five-digit blocks with nine valid numbers each.
const SyntheticNHSNumbers = 900_000

// ValidNHSNumber reports whether s is exactly ten ASCII digits whose last digit
// is the modulus 11 check digit of the first nine.
func ValidNHSNumber(s string) bool {
	if len(s) != 10 {
		return false
	}
	var b [10]byte
	for i := range 10 {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		b[i] = s[i]
	}
	c, ok := checkDigit(b[:9])
	return ok && b[9]-'0' == c
}

// NHSCheckDigit returns the modulus 11 check digit for the first nine digits
// of an NHS number. ok is false when body is not nine ASCII digits or when no
// valid check digit exists for it.
func NHSCheckDigit(body string) (digit int, ok bool) {
	if len(body) != 9 {
		return 0, false
	}
	var b [9]byte
	for i := range 9 {
		if body[i] < '0' || body[i] > '9' {
			return 0, false
		}
		b[i] = body[i]
	}
	c, ok := checkDigit(b[:])
	return int(c), ok
}

// checkDigit computes the check digit of nine ASCII digits already validated.
func checkDigit(body []byte) (byte, bool) {
	sum := 0
	for i, d := range body[:9] {
		sum += int(d-'0') * (10 - i)
	}
	c := 11 - sum%11
	switch c {
	case 11:
		return 0, true
	case 10:
		return 0, false
	}
	return byte(c), true
}

// SyntheticNHSNumber returns the n-th number of a fixed sequence of valid NHS
// numbers in the reserved test range 999 000 0000 to 999 999 9999, which is
// never issued to patients. The first SyntheticNHSNumbers values of n give
// distinct numbers; n is taken modulo SyntheticNHSNumbers.
func SyntheticNHSNumber(n int) string {
	var b [10]byte
	return string(appendSyntheticNHSNumber(b[:0], n))
}

// appendSyntheticNHSNumber is SyntheticNHSNumber without the allocation, for
// the generator's hot loop.
func appendSyntheticNHSNumber(dst []byte, n int) []byte {
	n %= SyntheticNHSNumbers
	if n < 0 {
		n += SyntheticNHSNumbers
	}
	// Multiplying by a number coprime to the modulus permutes the sequence,
	// so that neighbouring n do not get neighbouring numbers.
	m := int(uint64(n) * 337_571 % SyntheticNHSNumbers)
	block, k := m/9, m%9

	var b [10]byte
	b[0], b[1], b[2] = '9', '9', '9'
	for i := 7; i >= 3; i-- {
		b[i] = byte('0' + block%10)
		block /= 10
	}
	// Of the ten possible ninth digits at most one leaves no valid check
	// digit, so every block holds at least nine numbers; take the k-th.
	for d := byte('0'); d <= '9'; d++ {
		b[8] = d
		c, ok := checkDigit(b[:9])
		if !ok {
			continue
		}
		if k == 0 {
			b[9] = '0' + c
			break
		}
		k--
	}
	return append(dst, b[:]...)
}
