package devserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// tamper changes the last character of a link's token.
func tamper(link string) string {
	path, query, _ := strings.Cut(link, "?")
	last := path[len(path)-1]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	out := path[:len(path)-1] + string(repl)
	if query != "" {
		out += "?" + query
	}
	return out
}

// swapPurpose puts the token of one page under another page's path.
func swapPurpose(link, page string) string {
	u, err := url.Parse(link)
	if err != nil {
		panic(err)
	}
	tok := u.Path[strings.LastIndex(u.Path, "/")+1:]
	u.Path = "/" + page + "/" + tok
	return u.String()
}

func want404(t *testing.T, r reply, what string) {
	t.Helper()
	if r.Status != http.StatusNotFound || !strings.Contains(r.Text(), "This link is not valid") {
		t.Errorf("%s: %s, want 404 with the not-found page", what, r)
	}
}

// A tampered, expired or wrong-purpose token gets 404 and changes nothing.
func TestDevBadTokensAre404AndChangeNothing(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	m := d.surveyEmail("int-1")
	score7 := scoreLink(m, 7)
	unsub := unsubLink(m)
	oneClick := []byte("List-Unsubscribe=One-Click")

	// Tampered.
	want404(t, d.get(tamper(score7)), "GET tampered score link")
	want404(t, d.postForm(pagePath(tamper(score7)), answer(2, "x")), "POST tampered survey token")
	want404(t, d.get(tamper(unsub)), "GET tampered unsubscribe")
	want404(t, d.raw(http.MethodPost, tamper(unsub), "application/x-www-form-urlencoded", "-", oneClick), "POST tampered unsubscribe")
	// Wrong purpose: the unsubscribe token on /s/ and the survey token on /u/.
	want404(t, d.get(swapPurpose(unsub, "s")+"?score=7"), "unsubscribe token on /s/")
	want404(t, d.postForm(swapPurpose(unsub, "s"), answer(2, "x")), "POST unsubscribe token on /s/")
	want404(t, d.get(swapPurpose(score7, "u")), "survey token on GET /u/")
	want404(t, d.raw(http.MethodPost, swapPurpose(score7, "u"), "application/x-www-form-urlencoded", "-", oneClick), "survey token on POST /u/")
	// Garbage.
	want404(t, d.get("/s/not-a-token?score=7"), "garbage token")
	want404(t, d.get("/s/"+strings.Repeat("A", 600)), "oversized token")

	// Nothing was recorded: no click settles, no answer, no opt-out.
	d.advance("11m")
	if got := d.responses(); len(got) != 0 {
		t.Fatalf("bad tokens stored %+v", got)
	}
	page := d.get(unsub)
	want(t, page, http.StatusOK, "real unsubscribe page")
	if strings.Contains(page.Text(), "You will not get surveys") {
		t.Fatal("a bad token opted the person out")
	}

	// Expired: 60 days on, both real links are dead.
	d.advance("1440h")
	want404(t, d.get(score7), "expired score link")
	want404(t, d.postForm(pagePath(score7), answer(9, "late")), "POST with expired token")
	want404(t, d.get(unsub), "expired unsubscribe link")
	want404(t, d.raw(http.MethodPost, unsub, "application/x-www-form-urlencoded", "-", oneClick), "POST expired unsubscribe")
	if got := d.responses(); len(got) != 0 {
		t.Fatalf("expired tokens stored %+v", got)
	}
	// Not opted out: a new interaction is surveyed.
	r := d.ingest(emailInteraction("int-2"))
	want(t, r, http.StatusAccepted, "interaction after the bad tokens")
	if !strings.Contains(r.Text(), `"status":"scheduled"`) {
		t.Errorf("after only bad tokens: %s, want scheduled", r.Text())
	}
}
