package registry

import "testing"

// TestCSVCellsRoundTrip: what the export guards against spreadsheet formulas comes back unchanged on
// import, including values that themselves start with the guard's apostrophe.
func TestCSVCellsRoundTrip(t *testing.T) {
	for _, v := range []string{"", "Nguyễn Văn An", "=SUM(A1)", "+84912345678", "-1", "@x", "'=abc", "'-1", "'", "''"} {
		if got := csvUnescape(EscapeCSVCell(v)); got != v {
			t.Errorf("%q came back as %q (escaped %q)", v, got, EscapeCSVCell(v))
		}
	}
	if EscapeCSVCell("=1+1") != "'=1+1" {
		t.Error("a formula is not guarded")
	}
}
