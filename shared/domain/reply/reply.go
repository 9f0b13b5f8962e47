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

// The opt-out keywords AWS End User Messaging honours on every number
// (ARRET ... UNSUBSCRIBE), and STOPALL, which US carriers also treat as
// one. End User Messaging acts on a message that begins with a keyword,
// so cxloop reads the first word (or two, for "stop all" and "opt out")
// the same way: the two never disagree about who opted out.
var stopWords = map[string]bool{
	"ARRET": true, "CANCEL": true, "END": true, "OPT OUT": true, "OPTOUT": true, "QUIT": true,
	"REMOVE": true, "STOP": true, "TD": true, "UNSUBSCRIBE": true,
	"STOPALL": true, "STOP ALL": true,
}

// helpWords are the help keywords End User Messaging answers.
var helpWords = map[string]bool{"HELP": true, "INFO": true}

// Parse reads body. A message that begins with a keyword is that keyword,
// as End User Messaging reads it ("stop calling me, 2" opts out); a score
// is a leading number of at most two digits, ended by the message, a space
// or punctuation ("7", "10!", "2 too slow", "8/10 great"), and may name its
// scale ("9/10", "9 / 10", "4/5"), which is not part of the comment.
func Parse(body string) Reply {
	text := strings.TrimSpace(body)
	words := strings.FieldsFunc(strings.ToUpper(text), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) && r != '-'
	})
	if len(words) > 0 {
		first := strings.ReplaceAll(words[0], "-", " ")
		two := first
		if len(words) > 1 {
			two += " " + words[1]
		}
		switch {
		case stopWords[first] || stopWords[two]:
			return Reply{Kind: Stop}
		case helpWords[first]:
			return Reply{Kind: Help}
		}
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
