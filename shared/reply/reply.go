// Package reply reads a customer's text message: a score with an optional
// comment, an opt-out or help keyword, or something else that needs a
// clarifying answer.
package reply

import (
	"strconv"
	"strings"
	"unicode"
)

// Kind is what a text message means.
type Kind int

// Reply kinds.
const (
	Unclear Kind = iota // not a score nor a keyword: ask again, store nothing
	Score               // a number, maybe followed by a comment
	Stop                // opt out of all texts
	Help                // send the help text
)

// Reply is a parsed text message.
type Reply struct {
	Kind  Kind
	Score int
	// OutOf is the scale the person named after the score ("9/10",
	// "4 / 5"), or 0: the app checks it is the survey's own.
	OutOf   int
	Comment string
}

// The carrier-standard opt-out keywords, which AWS End User Messaging
// also honours.
var stopWords = map[string]bool{
	"STOP": true, "STOPALL": true, "STOP ALL": true, "UNSUBSCRIBE": true,
	"CANCEL": true, "END": true, "QUIT": true, "OPTOUT": true, "OPT OUT": true,
}

// Parse reads body. Keywords count only when they are the whole message
// (so "stop calling me, 2" is not an opt-out, and a score is read); a score
// is a leading number of at most two digits, ended by the message, a space
// or punctuation ("7", "10!", "2 too slow", "8/10 great"), and may name its
// scale ("9/10", "9 / 10", "4/5"), which is not part of the comment.
func Parse(body string) Reply {
	text := strings.TrimSpace(body)
	word := strings.ToUpper(strings.Join(strings.FieldsFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) && r != '-'
	}), " "))
	word = strings.ReplaceAll(word, "-", " ")
	switch {
	case stopWords[word]:
		return Reply{Kind: Stop}
	case word == "HELP" || word == "INFO":
		return Reply{Kind: Help}
	}
	n := 0
	for n < len(text) && n < 3 && text[n] >= '0' && text[n] <= '9' {
		n++
	}
	if n == 0 || n > 2 {
		return Reply{Kind: Unclear}
	}
	rest := text[n:]
	if rest != "" {
		r := []rune(rest)[0]
		decimal := (r == '.' || r == ',') && len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9'
		if unicode.IsLetter(r) || unicode.IsDigit(r) || decimal {
			return Reply{Kind: Unclear} // "7th", "7.5" and "7,5" (a decimal in much of Europe) are not a score
		}
	}
	score, _ := strconv.Atoi(text[:n])
	outOf, rest := scale(rest)
	comment := strings.TrimLeftFunc(rest, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r)
	})
	return Reply{Kind: Score, Score: score, OutOf: outOf, Comment: strings.TrimSpace(comment)}
}

// scale reads a "/ M" (spaces allowed around the slash, M from 1 to 999)
// from the start of rest and returns M and what follows it; without one
// it returns 0 and rest as it is.
func scale(rest string) (int, string) {
	after, ok := strings.CutPrefix(strings.TrimLeft(rest, " \t"), "/")
	if !ok {
		return 0, rest
	}
	after = strings.TrimLeft(after, " \t")
	n := 0
	for n < len(after) && n < 4 && after[n] >= '0' && after[n] <= '9' {
		n++
	}
	if n == 0 || n > 3 {
		return 0, rest
	}
	m, _ := strconv.Atoi(after[:n])
	if m == 0 {
		return 0, rest
	}
	return m, after[n:]
}
