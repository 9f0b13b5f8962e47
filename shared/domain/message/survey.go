package message

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cxloop/cxloop/shared/domain/survey"
)

// Invite is everything needed to ask one person one question.
type Invite struct {
	Kind      survey.Kind
	Name      string // the person's name; the first word greets them
	Org       string
	OwnerName string // recovery checks name the owner who followed up
	Locale    string
	Reminder  bool
	// SurveyURL is the signed survey page; score links add ?score=N.
	SurveyURL      string
	UnsubscribeURL string
	Tags           map[string]string
}

type choice struct {
	Score int
	Label string // the visible label ("7", or "Yes")
	Aria  string // what a screen reader says
	URL   string
}

// choices lists the answer links in the order shown.
func (in Invite) choices(c Catalog) []choice {
	q := c.Questions[in.Kind]
	scores := in.Kind.Scores()
	if in.Kind == survey.Recovery {
		return []choice{
			{Score: 1, Label: c.Yes, Aria: c.Yes, URL: in.scoreURL(1)},
			{Score: 0, Label: c.No, Aria: c.No, URL: in.scoreURL(0)},
		}
	}
	out := make([]choice, 0, len(scores))
	for i, s := range scores {
		aria := fmt.Sprintf("%d / %d", s, scores[len(scores)-1])
		switch i {
		case 0:
			aria += " – " + q.Low
		case len(scores) - 1:
			aria += " – " + q.High
		}
		out = append(out, choice{Score: s, Label: strconv.Itoa(s), Aria: aria, URL: in.scoreURL(s)})
	}
	return out
}

func (in Invite) scoreURL(score int) string {
	return in.SurveyURL + "?score=" + strconv.Itoa(score)
}

func (in Invite) vars() map[string]string {
	return map[string]string{"org": in.Org, "owner": in.OwnerName, "name": FirstName(in.Name)}
}

// Question returns the question asked, in the invite's language.
func (in Invite) Question() string {
	return Fill(For(in.Locale).Questions[in.Kind].Ask, in.vars())
}

// FirstName is the greeting name: the first word of a full name.
func FirstName(name string) string {
	f := strings.Fields(name)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// SurveyEmail renders the survey (or its reminder) as an email to to.
func SurveyEmail(to string, in Invite) (Email, error) {
	c := For(in.Locale)
	v := in.vars()
	q := c.Questions[in.Kind]
	subject := Fill(c.Subject, v)
	if in.Reminder {
		subject = c.Reminder + subject
	}
	greeting := ""
	if v["name"] != "" {
		greeting = Fill(c.Greeting, v)
	}
	choices := in.choices(c)
	var text strings.Builder
	if greeting != "" {
		text.WriteString(greeting + "\n\n")
	}
	fmt.Fprintf(&text, "%s\n\n%s\n\n", Fill(c.Intro, v), in.Question())
	links := make([]string, 0, len(choices)+1)
	for _, ch := range choices {
		fmt.Fprintf(&text, "%s: %s\n", ch.Aria, ch.URL)
		links = append(links, ch.URL)
	}
	fmt.Fprintf(&text, "\n%s\n%s: %s\n", Fill(c.Footer, v), c.Unsub, in.UnsubscribeURL)
	links = append(links, in.UnsubscribeURL)

	page := surveyEmailHTML{
		Lang: c.Lang, Subject: subject, Greeting: greeting, Intro: Fill(c.Intro, v),
		Question: in.Question(), PickScore: c.PickScore, Choices: choices,
		Footer: Fill(c.Footer, v), Unsub: c.Unsub, UnsubURL: in.UnsubscribeURL,
	}
	if in.Kind != survey.Recovery {
		s := in.Kind.Scale()
		page.Legend = fmt.Sprintf("%d = %s · %d = %s", s.Min, q.Low, s.Max, q.High)
	}
	html, err := renderEmail(c.Lang, subject, surveyBody(page))
	if err != nil {
		return Email{}, err
	}
	return Email{
		To: to, Subject: subject, Text: text.String(), HTML: html, Links: links,
		Headers: map[string]string{
			// RFC 8058: mail clients offer one-click unsubscribe, posting
			// List-Unsubscribe=One-Click to the https URL.
			"List-Unsubscribe":      "<" + in.UnsubscribeURL + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
		Tags: in.Tags,
	}, nil
}

// SurveySMS renders the survey (or its reminder) as a text to to, in one
// segment where the words allow: the greeting goes first when space is short.
func SurveySMS(to string, in Invite) SMS {
	c := For(in.Locale)
	v := in.vars()
	ask := Fill(c.Questions[in.Kind].SMSAsk, v)
	prefix := ""
	if in.Reminder {
		prefix = c.Reminder
	}
	stop := " " + c.SMSStopHint
	candidates := []string{
		prefix + capitalise(Fill(c.Greeting, v)+" "+ask) + stop,
		prefix + capitalise(ask) + stop,
	}
	if v["name"] == "" {
		candidates = candidates[1:]
	}
	body := candidates[len(candidates)-1]
	for _, cand := range candidates {
		if Segments(cand) == 1 {
			body = cand
			break
		}
	}
	return SMS{To: to, Body: body, Tags: in.Tags}
}

func capitalise(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}
