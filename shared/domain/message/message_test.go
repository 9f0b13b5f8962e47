package message_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

const (
	surveyURL = "https://cx.example.com/s/TOKEN"
	unsubURL  = "https://cx.example.com/u/UNSUB"
)

func invite(kind survey.Kind, name, locale string) message.Invite {
	return message.Invite{
		Kind: kind, Name: name, Org: "Example Co", Locale: locale,
		SurveyURL: surveyURL, UnsubscribeURL: unsubURL,
		Tags: map[string]string{"survey_id": "sv_1"},
	}
}

func render(t *testing.T, in message.Invite) message.Email {
	t.Helper()
	m, err := message.SurveyEmail("ana@example.com", in)
	if err != nil {
		t.Fatalf("SurveyEmail: %v", err)
	}
	return m
}

func TestSurveyEmailLinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind   survey.Kind
		scores []int
	}{
		{survey.NPS, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{survey.CSAT, []int{1, 2, 3, 4, 5}},
		{survey.CES, []int{1, 2, 3, 4, 5, 6, 7}},
		{survey.Recovery, []int{1, 0}}, // Yes first, then No
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			t.Parallel()
			m := render(t, invite(tt.kind, "Ana Lopez", "en"))
			var want []string
			for _, s := range tt.scores {
				want = append(want, fmt.Sprintf("%s?score=%d", surveyURL, s))
			}
			want = append(want, unsubURL)
			if strings.Join(m.Links, "\n") != strings.Join(want, "\n") {
				t.Fatalf("links:\n%s\nwant:\n%s", strings.Join(m.Links, "\n"), strings.Join(want, "\n"))
			}
			for _, l := range want {
				if !strings.Contains(m.Text, l) {
					t.Errorf("text part lacks %s", l)
				}
				if !strings.Contains(m.HTML, `href="`+l+`"`) {
					t.Errorf("HTML part lacks a link to %s", l)
				}
			}
		})
	}
}

func TestSurveyEmailHeadersAndGreeting(t *testing.T) {
	t.Parallel()
	m := render(t, invite(survey.NPS, "Ana María Lopez", "en-GB"))
	if m.To != "ana@example.com" {
		t.Errorf("To = %q", m.To)
	}
	if got := m.Headers["List-Unsubscribe"]; got != "<"+unsubURL+">" {
		t.Errorf("List-Unsubscribe = %q, want <%s>", got, unsubURL)
	}
	if got := m.Headers["List-Unsubscribe-Post"]; got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", got)
	}
	if m.Subject != "A quick question from Example Co" {
		t.Errorf("Subject = %q", m.Subject)
	}
	if !strings.HasPrefix(m.Text, "Hi Ana,\n") || strings.Contains(m.Text, "María") {
		t.Errorf("text greeting should use the first name only:\n%s", m.Text)
	}
	if !strings.Contains(m.HTML, "<p>Hi Ana,</p>") {
		t.Errorf("HTML greeting missing")
	}
	if !strings.Contains(m.Text, "How likely are you to recommend Example Co to a friend or colleague?") {
		t.Errorf("question missing:\n%s", m.Text)
	}
	if m.Tags["survey_id"] != "sv_1" {
		t.Errorf("tags = %v", m.Tags)
	}
	for _, part := range []string{m.Text, m.HTML} {
		if strings.Contains(part, "{") {
			t.Errorf("unfilled placeholder in:\n%s", part)
		}
	}
}

func TestSurveyEmailNoNameNoGreeting(t *testing.T) {
	t.Parallel()
	m := render(t, invite(survey.NPS, "  ", "en"))
	if strings.Contains(m.Text, "Hi ") || strings.Contains(m.HTML, "Hi ,") {
		t.Errorf("blank name still greeted:\n%s", m.Text)
	}
}

func TestSurveyEmailReminder(t *testing.T) {
	t.Parallel()
	in := invite(survey.NPS, "Ana", "en")
	in.Reminder = true
	if m := render(t, in); m.Subject != "Reminder: A quick question from Example Co" {
		t.Errorf("reminder subject = %q", m.Subject)
	}
	in.Locale = "de"
	if m := render(t, in); !strings.HasPrefix(m.Subject, "Erinnerung: ") {
		t.Errorf("German reminder subject = %q", m.Subject)
	}
}

func TestSurveyEmailEscapesHTML(t *testing.T) {
	t.Parallel()
	in := invite(survey.NPS, `<script>alert(1)</script> "Bob"`, "en")
	in.Org = `Tom & <b>Jerry</b>`
	m := render(t, in)
	for _, bad := range []string{"<script>", "<b>Jerry</b>"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML contains unescaped %q:\n%s", bad, m.HTML)
		}
	}
	if !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("HTML lacks the escaped name:\n%s", m.HTML)
	}
}

func TestSurveyEmailLocales(t *testing.T) {
	t.Parallel()
	tests := []struct {
		locale, lang, subject, greeting string
	}{
		{"en", "en", "A quick question from Example Co", "Hi Ana,"},
		{"es-MX", "es", "Una pregunta rápida de Example Co", "Hola Ana:"},
		{"es_MX", "es", "Una pregunta rápida de Example Co", "Hola Ana:"},
		{"ES", "es", "Una pregunta rápida de Example Co", "Hola Ana:"},
		{"de-AT", "de", "Eine kurze Frage von Example Co", "Hallo Ana,"},
		{"fr-FR", "en", "A quick question from Example Co", "Hi Ana,"},
		{"", "en", "A quick question from Example Co", "Hi Ana,"},
		{"zz", "en", "A quick question from Example Co", "Hi Ana,"},
	}
	for _, tt := range tests {
		t.Run(tt.locale, func(t *testing.T) {
			t.Parallel()
			if got := message.For(tt.locale).Lang; got != tt.lang {
				t.Errorf("For(%q).Lang = %q, want %q", tt.locale, got, tt.lang)
			}
			m := render(t, invite(survey.NPS, "Ana Lopez", tt.locale))
			if m.Subject != tt.subject {
				t.Errorf("subject = %q, want %q", m.Subject, tt.subject)
			}
			if !strings.HasPrefix(m.Text, tt.greeting) {
				t.Errorf("text does not start with %q:\n%s", tt.greeting, m.Text)
			}
			if !strings.Contains(m.HTML, `<html lang="`+tt.lang+`">`) {
				t.Errorf("HTML lang is not %q", tt.lang)
			}
		})
	}
}

func TestCatalogsComplete(t *testing.T) {
	t.Parallel()
	for _, lang := range message.Languages() {
		c := message.For(lang)
		if c.Lang != lang {
			t.Errorf("For(%q).Lang = %q", lang, c.Lang)
		}
		for _, k := range []survey.Kind{survey.NPS, survey.CSAT, survey.CES, survey.Recovery} {
			in := invite(k, "Ana", lang)
			if in.Question() == "" {
				t.Errorf("%s: no %s question", lang, k)
			}
			if sms := message.SurveySMS("+14155550100", in); !strings.Contains(sms.Body, c.SMSStopHint) || c.SMSStopHint == "" {
				t.Errorf("%s %s SMS lacks the STOP hint: %q", lang, k, sms.Body)
			}
		}
	}
}

func TestSurveySMS(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Bartholomew", 20)
	tests := []struct {
		name, person, locale string
		kind                 survey.Kind
		reminder             bool
		wantPrefix           string
		stop                 string
	}{
		{"en typical", "Ana Lopez", "en-US", survey.NPS, false, "Hi Ana, how likely", "Reply STOP to opt out"},
		{"en csat", "Ben Carter", "en", survey.CSAT, false, "Hi Ben, how satisfied", "Reply STOP to opt out"},
		{"en ces", "Kai", "en", survey.CES, false, "Hi Kai, was it easy", "Reply STOP to opt out"},
		{"en reminder", "Ana Lopez", "en", survey.NPS, true, "Reminder: Hi Ana,", "Reply STOP to opt out"},
		{"en no name", "", "en", survey.NPS, false, "How likely", "Reply STOP to opt out"},
		{"es", "Lucia Fernandez", "es-MX", survey.NPS, false, "Hola Lucia:", "Responda STOP para darse de baja"},
		// "í" is not GSM-7: the greeting would cost a second segment, so it goes.
		{"es accented name", "María García", "es-ES", survey.NPS, false, "¿recomendaria", "Responda STOP para darse de baja"},
		{"de", "Kai Schmidt", "de-DE", survey.NPS, false, "Hallo Kai,", "STOP zum Abmelden"},
		{"very long name", long + " Smith", "en", survey.NPS, false, "How likely", "Reply STOP to opt out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := invite(tt.kind, tt.person, tt.locale)
			in.Reminder = tt.reminder
			sms := message.SurveySMS("+14155550100", in)
			if sms.To != "+14155550100" {
				t.Errorf("To = %q", sms.To)
			}
			if !strings.HasPrefix(sms.Body, tt.wantPrefix) {
				t.Errorf("body %q does not start with %q", sms.Body, tt.wantPrefix)
			}
			if !strings.HasSuffix(sms.Body, tt.stop) {
				t.Errorf("body %q does not end with the STOP hint %q", sms.Body, tt.stop)
			}
			if n := message.Segments(sms.Body); n != 1 {
				t.Errorf("body needs %d segments, want 1: %q", n, sms.Body)
			}
			if strings.Contains(sms.Body, "{") {
				t.Errorf("unfilled placeholder: %q", sms.Body)
			}
		})
	}
}

func TestSegments(t *testing.T) {
	t.Parallel()
	r := strings.Repeat
	tests := []struct {
		name string
		body string
		want int
	}{
		{"empty", "", 1},
		{"GSM-7 160", r("a", 160), 1},
		{"GSM-7 161", r("a", 161), 2},
		{"GSM-7 306", r("a", 306), 2},
		{"GSM-7 307", r("a", 307), 3},
		{"GSM-7 accents in the basic set", r("é", 160), 1},
		{"GSM-7 extension costs two", r("€", 80), 1},
		{"GSM-7 extension 81", r("€", 81), 2},
		{"GSM-7 159 + extension", r("a", 159) + "[", 2},
		{"UCS-2 70", r("ж", 70), 1},
		{"UCS-2 71", r("ж", 71), 2},
		{"UCS-2 134", r("ж", 134), 2},
		{"UCS-2 135", r("ж", 135), 3},
		{"one non-GSM char makes it UCS-2", r("a", 69) + "í", 1},
		{"one non-GSM char makes 71 UCS-2", r("a", 70) + "í", 2},
		{"emoji are two UCS-2 units", r("😀", 35), 1},
		{"36 emoji", r("😀", 36), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := message.Segments(tt.body); got != tt.want {
				t.Errorf("Segments(%d runes) = %d, want %d", len([]rune(tt.body)), got, tt.want)
			}
		})
	}
}

func TestFirstName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Ana Lopez": "Ana", "  Ana  ": "Ana", "": "", "   ": "", "Ana": "Ana"} {
		if got := message.FirstName(in); got != want {
			t.Errorf("FirstName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTaskEmail(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)
	m, err := message.TaskEmail("maria@example.com", message.TaskNotice{
		OwnerName: "María García", CustomerName: "Ana <Lopez>", AccountName: "Acme", Question: "How likely?",
		Score: "3 / 10", Comment: "too <b>slow</b>", DueAt: due, URL: "https://cx.example.com/t/TOK",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Subject, "Follow up with Ana <Lopez> by Thu 14 May 09:00") {
		t.Errorf("subject = %q", m.Subject)
	}
	if len(m.Links) != 1 || m.Links[0] != "https://cx.example.com/t/TOK" {
		t.Errorf("links = %v", m.Links)
	}
	if !strings.Contains(m.Text, "Hi María,") || !strings.Contains(m.Text, "3 / 10") || !strings.Contains(m.Text, "too <b>slow</b>") {
		t.Errorf("text:\n%s", m.Text)
	}
	if strings.Contains(m.HTML, "<b>slow</b>") || strings.Contains(m.HTML, "<Lopez>") {
		t.Errorf("HTML not escaped:\n%s", m.HTML)
	}
}

// The HTML parts are templ components: the markup around each value must
// be the markup mail clients were given before, and every value escaped.
func TestEmailHTMLMarkup(t *testing.T) {
	t.Parallel()
	nps := render(t, invite(survey.NPS, "Ana", "en"))
	recovery := render(t, invite(survey.Recovery, "Ana", "en"))
	task, err := message.TaskEmail("maria@example.com", message.TaskNotice{
		OwnerName: "María", CustomerName: `Ana "A&B"`, Question: "How likely?", Score: "3 / 10",
		Comment: "late & <rude>", URL: "https://cx.example.com/t/TOK",
	})
	if err != nil {
		t.Fatal(err)
	}
	note, err := message.CustomerNote("ana@example.com", "Ana", "María", "Example Co", "Sorry.\n\nFixed.")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		html      string
		want, not []string
	}{
		{"survey legend", nps.HTML, []string{
			`<title>A quick question from Example Co</title>`,
			`<p id="scale">Choose a score:</p>`,
			`aria-label="0 / 10 – Not at all likely"`,
			`>10</a></li></ul>`,
			`<p style="font-size:14px;color:#404040">0 = Not at all likely · 10 = Extremely likely</p>`,
			`<a href="` + unsubURL + `" style="color:#1d4ed8">Don&#39;t ask me again</a></p></main></body></html>`,
		}, nil},
		{"recovery has no legend", recovery.HTML, []string{`aria-label="Yes"`, `>No</a></li>`}, []string{" = No"}},
		{"task", task.HTML, []string{
			`<html lang="en">`,
			`<title>Follow up with Ana &#34;A&amp;B&#34; by `,
			`<p>Hi María,</p>`,
			`background:#f3f4f6">late &amp; &lt;rude&gt;</blockquote>`,
			`<p><a href="https://cx.example.com/t/TOK" style="display:inline-block;`,
			`>Open the follow-up</a></p>`,
		}, []string{"<rude>"}},
		{"note has no button", note.HTML, []string{"<p>Hi Ana,</p><p>Sorry.</p><p>Fixed.</p><p>María\nExample Co</p>"}, []string{"<a ", "<blockquote"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !strings.HasPrefix(tt.html, "<!doctype html>") {
				t.Errorf("no doctype:\n%s", tt.html)
			}
			for _, w := range tt.want {
				if !strings.Contains(tt.html, w) {
					t.Errorf("HTML lacks %q:\n%s", w, tt.html)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(tt.html, n) {
					t.Errorf("HTML has %q:\n%s", n, tt.html)
				}
			}
		})
	}
}

// Links in the HTML parts go through templ's URL sanitising: an http(s)
// link comes out as it went in (escaped for the attribute), and a link of
// any scheme that runs script or carries data comes out as a link to
// nowhere, in the survey's score links, its unsubscribe link and a staff
// email's button alike.
func TestEmailHTMLLinks(t *testing.T) {
	t.Parallel()
	const neutralised = `href="about:invalid#TemplFailedSanitizationURL"`
	tests := []struct {
		name, url string
		href      string // what the link's attribute must be
	}{
		{"https", "https://cx.example.com/s/TOK", `href="https://cx.example.com/s/TOK`},
		{"quotes and ampersands", `https://cx.example.com/s/T?a=1&b="2"`, `href="https://cx.example.com/s/T?a=1&amp;b=&#34;2&#34;`},
		{"javascript", "javascript:alert(1)//", neutralised},
		{"javascript in capitals", "JaVaScRiPt:alert(1)", neutralised},
		{"javascript after a space", " javascript:alert(1)", neutralised},
		{"data", "data:text/html,<script>alert(1)</script>", neutralised},
		{"vbscript", "vbscript:msgbox(1)", neutralised},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := invite(survey.NPS, "Ana", "en")
			in.SurveyURL, in.UnsubscribeURL = tt.url, tt.url
			sv := render(t, in)
			task, err := message.TaskEmail("maria@example.com", message.TaskNotice{OwnerName: "María", CustomerName: "Ana", URL: tt.url})
			if err != nil {
				t.Fatal(err)
			}
			for name, html := range map[string]string{"survey": sv.HTML, "task": task.HTML} {
				want := 12 // 11 score links and the unsubscribe link
				if name == "task" {
					want = 1
				}
				if n := strings.Count(html, tt.href); n != want {
					t.Errorf("%s email has %d links with %s, want %d:\n%s", name, n, tt.href, want, html)
				}
				for _, bad := range []string{"javascript:", "vbscript:", "data:", "<script"} {
					if strings.Contains(strings.ToLower(html), bad) {
						t.Errorf("%s email has %q:\n%s", name, bad, html)
					}
				}
			}
		})
	}
}
