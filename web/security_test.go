package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/auth"
	"vigil/store"
)

// Who the route walk asks as. Each reaches facility f1's camera cam-1 in some way, or not at all.
const (
	nobody       = "no credentials"
	viewerF1     = "viewer of f1"
	facilityF2   = "facility staff of f2"
	investigator = "investigator of f1, footage of 2020 only"
)

// walkAllowed lists, for every route, who among the walk's principals gets past the guard. It is written
// by hand, not derived from the route table: a new route that is missing here fails the walk, and a rule
// loosened by mistake shows up as a principal that should have been refused.
var walkAllowed = map[string][]string{
	"GET /api/v1/health":       {nobody, viewerF1, facilityF2, investigator},
	"POST /api/v1/auth/login":  {nobody, viewerF1, facilityF2, investigator},
	"POST /api/v1/auth/logout": {viewerF1, facilityF2, investigator},
	"GET /api/v1/auth/me":      {viewerF1, facilityF2, investigator},
	"GET /api/v1/settings":     {viewerF1, facilityF2, investigator},
	// Lists answer every signed-in principal, filtered to what it may see (checked below).
	"GET /api/v1/cameras":                             {viewerF1, facilityF2, investigator},
	"GET /api/v1/cameras/:id":                         {viewerF1, investigator},
	"GET /api/v1/cameras/:id/recordings":              {},
	"GET /api/v1/cameras/:id/timeline":                {},
	"GET /api/v1/cameras/:id/export.mp4":              {},
	"GET /api/v1/cameras/:id/links":                   {viewerF1},
	"GET /api/v1/province":                            {facilityF2},
	"GET /api/v1/provinces":                           {facilityF2},
	"GET /api/v1/facilities":                          {facilityF2},
	"POST /api/v1/facilities":                         {},
	"GET /api/v1/facilities/:id":                      {},
	"PUT /api/v1/facilities/:id":                      {},
	"DELETE /api/v1/facilities/:id":                   {},
	"GET /api/v1/facilities/:id/contacts":             {},
	"POST /api/v1/facilities/:id/contacts":            {},
	"PUT /api/v1/facilities/:id/contacts/:contact":    {},
	"DELETE /api/v1/facilities/:id/contacts/:contact": {},
	"GET /api/v1/contacts":                            {},
	"GET /api/v1/contacts/export.csv":                 {},
	"GET /api/v1/contacts/export.xlsx":                {},
	"POST /api/v1/contacts/import":                    {},
	"GET /api/v1/uptime":                              {},
	"GET /api/v1/alerts":                              {},
	"GET /api/v1/dashboard":                           {},
	"POST /api/v1/survey":                             {},
	"GET /api/v1/survey/latest":                       {},
	"GET /api/v1/survey/latest/report.csv":            {},
	"GET /api/v1/survey/latest/report.xlsx":           {},
	"GET /api/v1/users":                               {},
	"POST /api/v1/users":                              {},
	"PUT /api/v1/users/:username":                     {},
	"POST /api/v1/users/:username/password":           {},
	"GET /api/v1/tokens":                              {},
	"POST /api/v1/tokens":                             {},
	"DELETE /api/v1/tokens/:id":                       {},
	"GET /api/v1/audit":                               {},
	"GET /api/v1/audit/export.csv":                    {},
	"GET /api/v1/upstream/status":                     {viewerF1},
	"GET /playback/:id/index.m3u8":                    {},
	"GET /live/:id/*":                                 {viewerF1},
	"GET /recordings/*":                               {},
	"GET /metrics":                                    {},
	"GET /ui/*":                                       {nobody, viewerF1, facilityF2, investigator},
	"GET /login":                                      {nobody, viewerF1, facilityF2, investigator},
}

// walkPages are the UI pages: an HTML shell with no data, sent to any signed-in principal; without a
// session, a redirect to the login form.
var walkPages = []string{"/", "/camera/:id", "/dashboard", "/facilities", "/facilities/:id", "/survey", "/continuity", "/users", "/audit"}

// TestRouteWalk requests every registered route as each principal and requires 401 or 403 from every
// one the table does not allow.
func TestRouteWalk(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	f.insert(t, segment("cam-1", now.Add(-20*time.Minute), now.Add(-10*time.Minute)))
	segs, err := f.st.SegmentsOverlapping(context.Background(), "cam-1", now.Add(-time.Hour).UnixNano(), now.UnixNano(), false)
	if err != nil || len(segs) != 1 {
		t.Fatal(segs, err)
	}
	y2020 := store.Grant{Facility: "f1", FromNs: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano(), UntilNs: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC).UnixNano()}
	tokens := map[string]string{
		nobody:       "",
		viewerF1:     newToken(t, f.srv, auth.Viewer, store.Grant{Facility: "f1"}),
		facilityF2:   newToken(t, f.srv, auth.FacilityRole, store.Grant{Facility: "f2"}),
		investigator: newToken(t, f.srv, auth.Investigator, y2020),
	}
	params := strings.NewReplacer(":id/contacts/:contact", "f1/contacts/1", ":username", "admin")
	rangeQuery := "?start=" + url.QueryEscape(now.Add(-30*time.Minute).Format(time.RFC3339)) + "&end=" + url.QueryEscape(now.Format(time.RFC3339))

	routes := f.srv.newEcho().Routes()
	sort.Slice(routes, func(i, j int) bool { return routes[i].Path+routes[i].Method < routes[j].Path+routes[j].Method })
	seen := map[string]bool{}
	for _, r := range routes {
		key := r.Method + " " + r.Path
		seen[key] = true
		allowed, known := walkAllowed[key]
		isPage := contains(walkPages, r.Path) && r.Method == http.MethodGet
		if !known && !isPage {
			t.Errorf("%s is not in the route walk's table: say who may use it", key)
			continue
		}
		path := concretePath(r.Path, params, string(segs[0].Path)) + rangeQuery
		for _, who := range []string{nobody, viewerF1, facilityF2, investigator} {
			code, body := walkRequest(t, f, r.Method, path, tokens[who])
			switch {
			case isPage && who == nobody:
				if code != http.StatusFound {
					t.Errorf("%s %s without a session: %d, want a redirect to the login form", r.Method, path, code)
				}
			case isPage || contains(allowed, who):
				if code == http.StatusUnauthorized || code == http.StatusForbidden {
					t.Errorf("%s %s as %s: %d %s, want it allowed", r.Method, path, who, code, body)
				}
			case who == nobody && code != http.StatusUnauthorized:
				t.Errorf("%s %s without credentials: %d %s, want 401", r.Method, path, code, body)
			case who != nobody && code != http.StatusForbidden && code != http.StatusUnauthorized:
				t.Errorf("%s %s as %s: %d %s, want 403", r.Method, path, who, code, body)
			}
		}
	}
	for key := range walkAllowed {
		if !seen[key] {
			t.Errorf("the walk's table lists %s, which is not registered", key)
		}
	}
	// What the lists show: nothing of f1 to the staff of f2 (the registry's own lists are filtered the same way).
	if _, body := walkRequest(t, f, "GET", "/api/v1/cameras", tokens[facilityF2]); strings.Contains(body, "cam-1") {
		t.Errorf("the staff of f2 see cam-1: %s", body)
	}
}

// concretePath fills a route's parameters: :id is cam-1 or facility f1, * a file of cam-1.
func concretePath(route string, params *strings.Replacer, recording string) string {
	p := params.Replace(route)
	switch {
	case strings.HasPrefix(p, "/api/v1/facilities/:id"), p == "/facilities/:id":
		p = strings.Replace(p, ":id", "f1", 1)
	case strings.HasPrefix(p, "/api/v1/tokens/"):
		p = strings.Replace(p, ":id", "1", 1)
	default:
		p = strings.Replace(p, ":id", "cam-1", 1)
	}
	switch {
	case strings.HasPrefix(p, "/live/"):
		p = strings.Replace(p, "*", "index.m3u8", 1)
	case strings.HasPrefix(p, "/recordings/"):
		p = strings.Replace(p, "*", recording, 1)
	case strings.HasPrefix(p, "/ui/"):
		p = strings.Replace(p, "*", "app.js", 1)
	}
	return p
}

func walkRequest(t *testing.T, f *fixture, method, path, token string) (int, string) {
	t.Helper()
	var body *strings.Reader
	switch method {
	case http.MethodPost, http.MethodPut:
		body = strings.NewReader(`{}`)
	default:
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, f.http.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return sendRaw(t, req)
}

// sendRaw sends req as it is (no admin token, no redirects followed) and answers the status and the
// body's first 4 KiB, enough for any error message.
func sendRaw(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, string(body)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
