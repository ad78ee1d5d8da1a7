package load

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hesgql/hesgql/internal/hes"
)

// warningsPath puts the quality report of the extract called name beside
// its rejects file.
func warningsPath(rejectsPath, name string) string {
	dir := "."
	if rejectsPath != "" {
		dir = filepath.Dir(rejectsPath)
	}
	return filepath.Join(dir, name+".warnings.csv")
}

// warningWriter writes the quality report as CSV: line, EPIKEY, column,
// rule, value. The reader leaves out the values of restricted columns, but
// the report still ties EPIKEYs to the problems of their rows, so it is
// private to its owner like the rejects file.
type warningWriter struct {
	path string
	f    *os.File
	w    *csv.Writer
}

func (ww *warningWriter) write(x hes.Warning) error {
	if ww.f == nil {
		f, err := os.OpenFile(ww.path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("open quality report: %w", err)
		}
		// An older report at the same path may have had wider permissions.
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return fmt.Errorf("open quality report: %w", err)
		}
		ww.f, ww.w = f, csv.NewWriter(f)
		if err := ww.w.Write([]string{"line", "epikey", "column", "rule", "value"}); err != nil {
			return err
		}
	}
	return ww.w.Write([]string{strconv.Itoa(x.Line), x.EpiKey, x.Column, x.Rule, x.Value})
}

func (ww *warningWriter) close() error {
	if ww.f == nil {
		return nil
	}
	ww.w.Flush()
	err := ww.w.Error()
	if cerr := ww.f.Close(); err == nil {
		err = cerr
	}
	ww.f = nil
	return err
}
