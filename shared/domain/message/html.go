package message

import (
	"context"
	"fmt"
	"strings"

	"github.com/a-h/templ"
)

// surveyEmailHTML is what the survey email's HTML part shows.
type surveyEmailHTML struct {
	Lang, Subject string
	Greeting      string // empty: no greeting
	Intro         string
	Question      string
	PickScore     string
	Choices       []choice
	Legend        string // what the scale's ends mean; empty for yes/no
	Footer        string
	Unsub         string // the unsubscribe link's text
	UnsubURL      string
}

// renderEmail renders body as a whole email's HTML.
func renderEmail(lang, title string, body templ.Component) (string, error) {
	var b strings.Builder
	if err := emailLayout(lang, title, body).Render(context.Background(), &b); err != nil {
		return "", fmt.Errorf("render email %q: %w", title, err)
	}
	return b.String(), nil
}
