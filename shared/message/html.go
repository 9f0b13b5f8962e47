package message

import (
	"html"
	"strings"
)

// The emails' HTML is written with a strings.Builder rather than
// html/template: a template calls methods by name through reflect, which
// makes the linker keep every exported method of every reachable type in
// every function binary that sends mail. Markup is written as is and every
// interpolated value goes through html.EscapeString, so a name such as
// <script> stays text. The markup is the one the templates produced.

// startEmail writes the markup every email opens with, up to <main>.
func startEmail(b *strings.Builder, lang, title string) {
	b.WriteString(`<!doctype html>
<html lang="` + html.EscapeString(lang) + `"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>` + html.EscapeString(title) + `</title></head>
<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a;background:#ffffff">
<main style="max-width:560px;margin:0 auto">
`)
}

// endEmail closes what startEmail opened.
func endEmail(b *strings.Builder) {
	b.WriteString("</main></body></html>\n")
}

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

func (s surveyEmailHTML) render() string {
	var b strings.Builder
	startEmail(&b, s.Lang, s.Subject)
	if s.Greeting != "" {
		b.WriteString("<p>" + html.EscapeString(s.Greeting) + "</p>")
	}
	b.WriteString("\n<p>" + html.EscapeString(s.Intro) + "</p>\n")
	b.WriteString(`<h1 style="font-size:20px;line-height:1.3;margin:16px 0">` + html.EscapeString(s.Question) + "</h1>\n")
	b.WriteString(`<p id="scale">` + html.EscapeString(s.PickScore) + "</p>\n")
	b.WriteString(`<ul role="list" aria-labelledby="scale" style="list-style:none;padding:0;margin:0 0 8px 0">` + "\n")
	for _, ch := range s.Choices {
		b.WriteString(`<li style="display:inline-block;margin:0 4px 8px 0"><a href="` + html.EscapeString(ch.URL) +
			`" aria-label="` + html.EscapeString(ch.Aria) +
			`" style="display:inline-block;min-width:44px;min-height:44px;line-height:44px;text-align:center;border:2px solid #1d4ed8;border-radius:8px;color:#1d4ed8;text-decoration:none;font-weight:bold;padding:0 8px">` +
			html.EscapeString(ch.Label) + "</a></li>\n")
	}
	b.WriteString("</ul>\n")
	if s.Legend != "" {
		b.WriteString(`<p style="font-size:14px;color:#404040">` + html.EscapeString(s.Legend) + "</p>")
	}
	b.WriteString("\n" + `<hr style="border:0;border-top:1px solid #d4d4d4;margin:24px 0">` + "\n")
	b.WriteString(`<p style="font-size:14px;color:#404040">` + html.EscapeString(s.Footer) +
		` <a href="` + html.EscapeString(s.UnsubURL) + `" style="color:#1d4ed8">` + html.EscapeString(s.Unsub) + "</a></p>\n")
	endEmail(&b)
	return b.String()
}

// staffHTML is the HTML part of the emails to staff and of the owner's
// note to a customer: a heading, paragraphs, an optional quoted comment
// and an optional button.
func staffHTML(subject string, paras []string, comment, url, action string) string {
	var b strings.Builder
	startEmail(&b, "en", subject)
	b.WriteString(`<h1 style="font-size:20px;line-height:1.3;margin:0 0 16px 0">` + html.EscapeString(subject) + "</h1>\n")
	for _, p := range paras {
		b.WriteString("<p>" + html.EscapeString(p) + "</p>\n")
	}
	if comment != "" {
		b.WriteString(`<blockquote style="margin:0 0 16px 0;padding:8px 12px;border-left:4px solid #1d4ed8;background:#f3f4f6">` + html.EscapeString(comment) + "</blockquote>")
	}
	b.WriteString("\n")
	if url != "" {
		b.WriteString(`<p><a href="` + html.EscapeString(url) + `" style="display:inline-block;padding:12px 20px;background:#1d4ed8;color:#ffffff;border-radius:8px;text-decoration:none;font-weight:bold">` + html.EscapeString(action) + "</a></p>")
	}
	b.WriteString("\n")
	endEmail(&b)
	return b.String()
}
