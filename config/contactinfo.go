package config

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
)

// The rules for the facts a contact list holds (phone numbers, e-mail addresses, dates) and for matching
// Vietnamese text live here because the config file, the API and the CSV/XLSX import must agree on them:
// the registry package imports them from config.

// Fold makes text comparable the way people search it: lower case, Vietnamese tone marks and vowel
// modifiers removed, đ as d. "Đồng Nai" and "dong nai" fold alike. Text typed in decomposed form
// (a letter followed by combining marks, as some keyboards and older files write it) folds like the
// precomposed form, because combining marks are dropped.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = unicode.ToLower(r)
		if base, ok := vietnameseBase[r]; ok {
			r = base
		} else if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// vietnameseBase maps every lower-case Vietnamese letter with a diacritic to its base letter.
var vietnameseBase = func() map[rune]rune {
	m := map[rune]rune{'đ': 'd'}
	for base, letters := range map[rune]string{
		'a': "àáảãạăằắẳẵặâầấẩẫậ",
		'e': "èéẻẽẹêềếểễệ",
		'i': "ìíỉĩị",
		'o': "òóỏõọôồốổỗộơờớởỡợ",
		'u': "ùúủũụưừứửữự",
		'y': "ỳýỷỹỵ",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

// NormalizePhone checks a Vietnamese phone number and returns it in international form, "+84" followed by
// the national number without its leading 0: "0912 345 678", "+84 912.345.678", "84-912-345-678" and
// "912345678" (a leading zero lost to a spreadsheet) all give "+84912345678". Mobile numbers have 10 digits
// with the 0 (03x, 05x, 07x, 08x, 09x), landlines 11 (02x, the area codes of 2017). The error says what is
// wrong in words a person entering the number understands.
func NormalizePhone(s string) (string, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return "", errors.New("required")
	}
	digits, plus, err := phoneDigits(raw)
	if err != nil {
		return "", err
	}
	national, err := nationalNumber(digits, plus)
	if err != nil {
		return "", fmt.Errorf("%q %v", raw, err)
	}
	if problem := nationalNumberProblem(national); problem != "" {
		return "", fmt.Errorf("%q is not a Vietnamese phone number: %s", raw, problem)
	}
	return "+84" + national, nil
}

// phoneDigits strips the separators people write between digit groups and reports a leading "+".
func phoneDigits(s string) (digits string, plus bool, err error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0 && !plus: // "+84…" or "(+84) …"
			plus = true
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return "", false, fmt.Errorf("%q: a phone number holds digits, a leading + and spaces, dots, dashes or brackets only", s)
		}
	}
	return b.String(), plus, nil
}

// nationalNumber removes the country code or trunk prefix: what is left is the number without its 0.
func nationalNumber(digits string, plus bool) (string, error) {
	switch {
	case plus || strings.HasPrefix(digits, "0084"):
		digits = strings.TrimPrefix(digits, "00")
		if !strings.HasPrefix(digits, "84") {
			return "", errors.New("is not a Vietnamese number (the country code must be +84)")
		}
		// "+84 (0) 912…" keeps the trunk zero by habit.
		return trimOneZero(digits[2:]), nil
	case strings.HasPrefix(digits, "0"):
		return digits[1:], nil
	case strings.HasPrefix(digits, "84") && len(digits) >= 11 && len(digits) <= 13:
		// "84 0912…" (the trunk zero kept, the "+" lost) is the same number as "+84 912…".
		return trimOneZero(digits[2:]), nil
	}
	// Spreadsheets store "0912345678" as the number 912345678.
	return digits, nil
}

func trimOneZero(s string) string {
	if len(s) == 10 || len(s) == 11 {
		return strings.TrimPrefix(s, "0")
	}
	return s
}

// nationalNumberProblem checks the number without its leading 0.
func nationalNumberProblem(n string) string {
	const want = "want a mobile number of 10 digits (03x, 05x, 07x, 08x or 09x) or a landline of 11 (02x)"
	switch {
	case len(n) == 9 && strings.ContainsRune("35789", rune(n[0])):
		return ""
	case len(n) == 10 && n[0] == '2':
		return ""
	case len(n) == 10 && n[0] == '1':
		return "11-digit 01x mobile numbers were renumbered to 10 digits in 2018"
	case n == "":
		return want
	}
	return fmt.Sprintf("%d digits with the leading 0; %s", len(n)+1, want)
}

// FormatPhoneLocal writes a "+84…" number the way Vietnamese lists write it: "0912 345 678" for a mobile,
// "024 3825 1234" or "0251 3822 123" for a landline. Exports use it because a spreadsheet keeps the leading
// zero of a value with spaces and would take a leading "+" for the start of a formula. Anything that is not
// a normalised number is returned unchanged.
func FormatPhoneLocal(e164 string) string {
	n, ok := strings.CutPrefix(e164, "+84")
	if !ok || nationalNumberProblem(n) != "" || strings.Trim(n, "0123456789") != "" {
		return e164
	}
	d := "0" + n
	switch {
	case len(n) == 9:
		return d[:4] + " " + d[4:7] + " " + d[7:]
	case n[1] == '4' || n[1] == '8': // Hà Nội (024) and Hồ Chí Minh (028) have 2-digit area codes
		return d[:3] + " " + d[3:7] + " " + d[7:]
	}
	return d[:4] + " " + d[4:8] + " " + d[8:]
}

// CheckEmail accepts a bare address ("ten@domain.vn") whose domain has a dot, and returns it trimmed with
// the domain in lower case. net/mail alone would accept "a@localhost" and "Name <a@b.vn>".
func CheckEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("required")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", fmt.Errorf("%q is not an e-mail address (want a bare address such as ten@domain.vn)", s)
	}
	at := strings.LastIndexByte(s, '@')
	domain := strings.ToLower(s[at+1:])
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || strings.Contains(domain, "..") || labels[0] == "" || labels[len(labels)-1] == "" {
		return "", fmt.Errorf("%q is not an e-mail address: the domain %q needs a dot, as in ten@domain.vn", s, domain)
	}
	return s[:at+1] + domain, nil
}

// dateLayouts are the forms a date may take: the Vietnamese order, with or without leading zeros (a
// spreadsheet drops them), and ISO 8601.
var dateLayouts = []string{"02/01/2006", "2/1/2006", "2006-01-02"}

// ParseDate reads a calendar date written dd/mm/yyyy or yyyy-mm-dd and returns its midnight in loc.
func ParseDate(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q (write dd/mm/yyyy, e.g. 07/05/2021, or yyyy-mm-dd)", s)
}

// DateLayout is how vigil writes dates for people: dd/mm/yyyy, the Vietnamese order.
const DateLayout = "02/01/2006"
