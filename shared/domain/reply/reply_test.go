package reply_test

import (
	"testing"

	"github.com/cxloop/cxloop/shared/domain/reply"
)

func TestParse(t *testing.T) {
	t.Parallel()
	score := func(n int, comment string) reply.Reply {
		return reply.Reply{Kind: reply.Score, Score: n, Comment: comment}
	}
	outOf := func(n, of int, comment string) reply.Reply {
		return reply.Reply{Kind: reply.Score, Score: n, OutOf: of, Comment: comment}
	}
	stop := reply.Reply{Kind: reply.Stop}
	help := reply.Reply{Kind: reply.Help}
	unclear := reply.Reply{Kind: reply.Unclear}
	tests := []struct {
		body string
		want reply.Reply
	}{
		{"7", score(7, "")},
		{"0", score(0, "")},
		{"10", score(10, "")},
		{"  9  ", score(9, "")},
		{"7 thanks for the help", score(7, "thanks for the help")},
		{"10!", score(10, "")},
		{"2 too slow", score(2, "too slow")},
		{"7, great", score(7, "great")},
		{"7.", score(7, "")},
		{"8/10 great", outOf(8, 10, "great")},
		{"9/10", outOf(9, 10, "")},
		{"9 / 10", outOf(9, 10, "")},
		{"9 /10", outOf(9, 10, "")},
		{"9/ 10 - quick and kind", outOf(9, 10, "quick and kind")},
		{"4/5", outOf(4, 5, "")},
		{"4 / 5 fine", outOf(4, 5, "fine")},
		{"6/7", outOf(6, 7, "")},
		{"8/10great", outOf(8, 10, "great")},
		{"3/100", outOf(3, 100, "")}, // not our scale: the app says so
		{"9 / great", score(9, "great")},
		{"9/0", score(9, "0")},
		{"9/1000 wow", score(9, "1000 wow")},
		{"3 - waited an hour", score(3, "waited an hour")},
		{"2\ntoo slow", score(2, "too slow")},
		{"11", score(11, "")}, // a score off the scale is the app's to refuse, with a hint
		{"STOP", stop},
		{"stop", stop},
		{"Stop.", stop},
		{"stop!", stop},
		{"  STOP  ", stop},
		{"STOPALL", stop},
		{"stopall", stop},
		{"Stop all", stop},
		{"UNSUBSCRIBE", stop},
		{"unsubscribe.", stop},
		{"CANCEL", stop},
		{"Cancel!", stop},
		{"END", stop},
		{"end", stop},
		{"QUIT", stop},
		{"Quit.", stop},
		{"OPTOUT", stop},
		{"opt-out", stop},
		{"opt out", stop},
		{"HELP", help},
		{"help", help},
		{"Help?", help},
		{"INFO", help},
		{"ARRET", stop},
		{"Remove", stop},
		{"td", stop},
		{"OPT-OUT", stop},
		{"Stop please", stop},
		{"stop calling me 2", stop}, // End User Messaging opts out a message that begins with a keyword
		{"help me 3", help},
		{"please stop", unclear},
		{"stopped 2", unclear},
		{"ending 2", unclear},
		{"7th", unclear},
		{"7.5", unclear},
		{"7,5", unclear},
		{"7,5 mostly fine", unclear},
		{"7,\tok", score(7, "ok")},
		{"100", unclear},
		{"007", unclear},
		{"-1", unclear},
		{"", unclear},
		{"   ", unclear},
		{"hello", unclear},
		{"ten", unclear},
		{"7a", unclear},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			if got := reply.Parse(tt.body); got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.body, got, tt.want)
			}
		})
	}
}

func TestParseStopWordsNeverScore(t *testing.T) {
	t.Parallel()
	// Whatever the punctuation and case, an opt-out keyword alone must opt out:
	// carriers require it and End User Messaging enforces it anyway.
	for _, w := range []string{"ARRET", "CANCEL", "END", "OPT-OUT", "OPTOUT", "QUIT", "REMOVE", "STOP", "TD", "UNSUBSCRIBE", "STOPALL"} {
		for _, variant := range []string{w, w + ".", w + "!", w + "!!", " " + w + " ", w + "?"} {
			for _, c := range []func(string) string{identity, lower, title} {
				body := c(variant)
				if got := reply.Parse(body); got.Kind != reply.Stop {
					t.Errorf("Parse(%q).Kind = %v, want Stop", body, got.Kind)
				}
			}
		}
	}
}

func identity(s string) string { return s }

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func title(s string) string {
	b := []byte(lower(s))
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
			break
		}
	}
	return string(b)
}
