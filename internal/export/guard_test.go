package export

import "testing"

func TestGuardCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "",
		"L400":              "L400",
		"&":                 "&",
		"2019-04-01":        "2019-04-01",
		"12":                "12",
		"-3":                "-3",
		"-0.5":              "-0.5",
		"-":                 "'-",
		"-1+2":              "'-1+2",
		"-Inf":              "'-Inf",
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
		"+44 20":            "'+44 20",
		"@SUM(A1)":          "'@SUM(A1)",
		"\tcmd":             "'\tcmd",
		"\r=1":              "'\r=1",
		"a=b":               "a=b",
	} {
		if got := guardCell(in); got != want {
			t.Errorf("guardCell(%q) = %q, want %q", in, got, want)
		}
	}
}
