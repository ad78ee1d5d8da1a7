package db

import (
	"context"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
)

//go:embed codes/*.csv
var codeFiles embed.FS

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // embedded paths are fixed at build time
	}
	return s
}

// codeRow is one row of an embedded lookup list.
type codeRow struct{ code, description, chapter string }

func readCodeFile(name string) ([]codeRow, error) {
	f, err := codeFiles.Open("codes/" + name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(header) < 3 || header[0] != "code" || header[1] != "description" || header[2] != "chapter" {
		return nil, fmt.Errorf("%s: header must be code,description,chapter", name)
	}
	var rows []codeRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		rows = append(rows, codeRow{rec[0], rec[1], rec[2]})
	}
}

// syncCodes upserts the embedded ICD-10, ICD-9 and OPCS-4 lists, so that a new
// binary brings its descriptions with it without a migration per code.
func (d *DB) syncCodes(ctx context.Context) error {
	for _, t := range []struct{ file, table string }{{"icd10.csv", "icd10_codes"}, {"icd9.csv", "icd9_codes"}, {"opcs4.csv", "opcs4_codes"}} {
		rows, err := readCodeFile(t.file)
		if err != nil {
			return err
		}
		for start := 0; start < len(rows); start += 500 {
			end := min(start+500, len(rows))
			ins := builder.Insert(t.table).Columns("code", "description", "chapter").
				Suffix("ON DUPLICATE KEY UPDATE description = VALUES(description), chapter = VALUES(chapter)")
			for _, r := range rows[start:end] {
				ins = ins.Values(r.code, r.description, r.chapter)
			}
			if _, err := d.exec(ctx, d.sql, ins); err != nil {
				return fmt.Errorf("load %s: %w", t.table, err)
			}
		}
	}
	return nil
}
