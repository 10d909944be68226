package config

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// ProvinceRef is one row of the reference list: a province or centrally-run city as the appendix to letter
// 1407/BTTTT-CVT names it, with the operator it designates and its official code.
type ProvinceRef struct {
	No       int    `json:"no"`       // number in the appendix, 1–63
	Code     string `json:"code"`     // two digits, Decision 124/2004/QĐ-TTg, e.g. "75"
	Name     string `json:"name"`     // with its "Tỉnh"/"Thành phố" prefix, as the appendix spells it
	Operator string `json:"operator"` // Viettel | VNPT
}

// Designated operators named by the appendix.
const (
	OperatorViettel = "Viettel"
	OperatorVNPT    = "VNPT"
)

//go:embed provinces.tsv
var provincesTSV string

// provinces is parsed once; a malformed file is a broken build, caught by the tests.
var provinces = mustParseProvinces(provincesTSV)

// Provinces returns the 63 provinces of the reference list in the appendix's order. The slice is a copy.
func Provinces() []ProvinceRef { return append([]ProvinceRef(nil), provinces...) }

func mustParseProvinces(tsv string) []ProvinceRef {
	var out []ProvinceRef
	for i, line := range strings.Split(tsv, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		no, err := strconv.Atoi(cols[0])
		if len(cols) != 4 || err != nil {
			panic(fmt.Sprintf("provinces.tsv:%d: want 4 tab-separated columns starting with a number", i+1))
		}
		out = append(out, ProvinceRef{No: no, Code: cols[1], Name: cols[2], Operator: cols[3]})
	}
	return out
}

// LookupProvince finds a province of the reference list by code ("75", "075" or "7" for "07") or by
// name, ignoring case, accents, punctuation and a "Tỉnh"/"Thành phố"/"TP." prefix: "dong nai", "Tỉnh
// Đồng Nai" and "TP. Hồ Chí Minh" all match.
func LookupProvince(s string) (ProvinceRef, bool) {
	if code, ok := normalizeProvinceCode(s); ok {
		for _, p := range provinces {
			if p.Code == code {
				return p, true
			}
		}
		return ProvinceRef{}, false
	}
	key := provinceKey(s)
	for _, p := range provinces {
		if provinceKey(p.Name) == key {
			return p, true
		}
	}
	return ProvinceRef{}, false
}

// closestProvince names the reference province whose name is within two edits of s, for a "did you
// mean" hint when a typo would otherwise pass for a province outside the list.
func closestProvince(s string) (ProvinceRef, bool) {
	key := provinceKey(s)
	best, bestDist := ProvinceRef{}, 3
	for _, p := range provinces {
		if d := editDistance(key, provinceKey(p.Name)); d < bestDist {
			best, bestDist = p, d
		}
	}
	return best, bestDist < 3
}

// normalizeProvinceCode turns 1 to 3 digits into the two-digit form of the official list. ok is false
// for anything else, which is then taken for a name.
func normalizeProvinceCode(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 3 || strings.Trim(s, "0123456789") != "" {
		return "", false
	}
	n, _ := strconv.Atoi(s)
	if n > 99 {
		return "", false
	}
	return fmt.Sprintf("%02d", n), true
}

// provinceKey reduces a province name to what identifies it: folded, without its administrative prefix,
// with every run of punctuation and spaces made one space ("Bà Rịa-Vũng Tàu" = "ba ria vung tau").
func provinceKey(s string) string {
	words := strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	switch {
	case len(words) > 1 && words[0] == "tinh":
		words = words[1:]
	case len(words) > 2 && words[0] == "thanh" && words[1] == "pho":
		words = words[2:]
	case len(words) > 1 && words[0] == "tp":
		words = words[1:]
	}
	return strings.Join(words, " ")
}

// canonicalOperator spells the two designated operators the way the appendix does and leaves any other
// name as written.
func canonicalOperator(s string) string {
	s = strings.TrimSpace(s)
	for _, op := range []string{OperatorViettel, OperatorVNPT} {
		if strings.EqualFold(s, op) {
			return op
		}
	}
	return s
}
