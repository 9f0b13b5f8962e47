package message

import (
	"fmt"
	"strings"
	"time"
)

// TaskNotice describes a follow-up task to the people who act on it.
type TaskNotice struct {
	OwnerName    string
	CustomerName string
	AccountName  string
	Question     string
	Score        string // "3 / 10", the answer as it is now
	// Changed says how the person changed their answer after the
	// follow-up started ("from 2 / 10 on Tue 3 Nov 10:04 UTC"); empty if
	// they did not.
	Changed string
	Comment string
	DueAt   time.Time
	// Loc is the recipient's time zone, which times are written in (UTC if nil).
	Loc          *time.Location
	URL          string // the owner's task page
	Level        int    // escalation level, for escalations
	Acknowledged bool
}

func staffEmail(to, subject string, paras []string, comment, url, action string) (Email, error) {
	var text strings.Builder
	for _, p := range paras {
		text.WriteString(p + "\n\n")
	}
	if comment != "" {
		text.WriteString("“" + comment + "”\n\n")
	}
	links := []string{}
	if url != "" {
		fmt.Fprintf(&text, "%s: %s\n", action, url)
		links = append(links, url)
	}
	html, err := renderEmail("en", subject, staffBody(subject, paras, comment, url, action))
	if err != nil {
		return Email{}, err
	}
	return Email{To: to, Subject: subject, Text: text.String(), HTML: html, Links: links}, nil
}

func (n TaskNotice) facts() string {
	s := n.CustomerName
	if n.AccountName != "" {
		s += " (" + n.AccountName + ")"
	}
	f := fmt.Sprintf("%s answered %s to “%s”.", s, n.Score, n.Question)
	if n.Changed != "" {
		f += " They changed their answer to this " + n.Changed + "."
	}
	return f
}

// due writes a due time in the recipient's zone.
func (n TaskNotice) due() string {
	loc := n.Loc
	if loc == nil {
		loc = time.UTC
	}
	return n.DueAt.In(loc).Format("Mon 2 Jan 15:04 MST")
}

// TaskEmail asks the owner to follow up.
func TaskEmail(to string, n TaskNotice) (Email, error) {
	subject := "Follow up with " + n.CustomerName + " by " + n.due()
	return staffEmail(to, subject, []string{
		"Hi " + FirstName(n.OwnerName) + ",",
		n.facts(),
		"Please contact them personally, then record what you did and the outcome. This is due by " + n.due() + ".",
	}, n.Comment, n.URL, "Open the follow-up")
}

// AnswerChangedEmail tells the owner of an open follow-up that the person
// changed their answer after the owner was told of it.
func AnswerChangedEmail(to string, n TaskNotice) (Email, error) {
	subject := n.CustomerName + " changed their answer"
	return staffEmail(to, subject, []string{
		"Hi " + FirstName(n.OwnerName) + ",",
		n.facts(),
		"The follow-up stays open until you close it: they are still owed a personal reply. It is due by " + n.due() + ".",
	}, n.Comment, n.URL, "Open the follow-up")
}

// ReminderEmail reminds the owner that a follow-up is late.
func ReminderEmail(to string, n TaskNotice) (Email, error) {
	subject := "Overdue: follow up with " + n.CustomerName
	return staffEmail(to, subject, []string{
		"Hi " + FirstName(n.OwnerName) + ",",
		"Your follow-up with " + n.CustomerName + " was due " + n.due() + " and is still open. Your manager has been told.",
		n.facts(),
	}, n.Comment, n.URL, "Open the follow-up")
}

// EscalationEmail tells a manager that a follow-up is late.
func EscalationEmail(to, managerName string, n TaskNotice) (Email, error) {
	subject := fmt.Sprintf("Escalation: %s's follow-up with %s is overdue", FirstName(n.OwnerName), n.CustomerName)
	state := "has not acknowledged it yet"
	if n.Acknowledged {
		state = "is on it but has not closed it"
	}
	return staffEmail(to, subject, []string{
		"Hi " + FirstName(managerName) + ",",
		fmt.Sprintf("%s owns the follow-up with %s, due %s, and %s (escalation level %d).", n.OwnerName, n.CustomerName, n.due(), state, n.Level),
		n.facts(),
	}, n.Comment, n.URL, "See the follow-up")
}

// CustomerNote is the owner's personal close-the-loop note, signed with their name.
func CustomerNote(to, customerName, ownerName, org, note string) (Email, error) {
	subject := "About your feedback to " + org
	paras := []string{}
	if first := FirstName(customerName); first != "" {
		paras = append(paras, "Hi "+first+",")
	}
	paras = append(paras, strings.Split(strings.TrimSpace(note), "\n\n")...)
	paras = append(paras, ownerName+"\n"+org)
	return staffEmail(to, subject, paras, "", "", "")
}

// CustomerNoteSMS is the note as a text.
func CustomerNoteSMS(to, ownerName, org, note string) SMS {
	return SMS{To: to, Body: strings.TrimSpace(note) + " – " + ownerName + ", " + org}
}

// NoteProblemEmail tells whoever wrote a close-the-loop note that it may
// not have reached the person, so they reach them another way.
func NoteProblemEmail(to, writerName, customerName, what, url string) (Email, error) {
	who := customerName
	if who == "" {
		who = "the customer"
	}
	return staffEmail(to, "Your note to "+who+" may not have reached them", []string{
		"Hi " + FirstName(writerName) + ",",
		"The personal note you wrote to " + who + " when you closed the follow-up " + what + ".",
		"They have not heard from you yet: please reach them another way, and check their contact details.",
	}, "", url, "See the follow-up")
}

// SignInEmail carries a person's single-use sign-in link.
func SignInEmail(to, name, org, link string, valid time.Duration) (Email, error) {
	return staffEmail(to, "Your sign-in link for "+org+"'s cxloop", []string{
		"Hi " + FirstName(name) + ",",
		fmt.Sprintf("Here is your link to sign in. It works once, for %d minutes.", int(valid.Minutes())),
		"If you did not ask for it, ignore this email: nobody can sign in without the link.",
	}, "", link, "Sign in")
}

// ContactFixEmail tells an owner that a customer's address does not work.
func ContactFixEmail(to, ownerName, customerName, accountName, channel, address string) (Email, error) {
	who := customerName
	if who == "" {
		who = "A customer"
	}
	if accountName != "" {
		who += " (" + accountName + ")"
	}
	what := "email address"
	if channel == "sms" {
		what = "mobile number"
	}
	return staffEmail(to, "Contact details need fixing: "+customerName, []string{
		"Hi " + FirstName(ownerName) + ",",
		fmt.Sprintf("We could not reach %s: their %s %s does not accept messages, so cxloop will not use it again.", who, what, address),
		"Please update their contact details in your CRM so they can be heard next time.",
	}, "", "", "")
}
