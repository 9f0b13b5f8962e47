package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cxloop/cxloop/shared/app"
	"github.com/cxloop/cxloop/shared/loop"
	"github.com/cxloop/cxloop/shared/message"
)

// renderTask sends the task page: what the customer said, the forms to
// act on the task while it is open, its outcome once closed, and the
// customer's history.
func (s *Server) renderTask(w http.ResponseWriter, r *http.Request, acc app.TaskAccess, code int, flash, problem string) {
	t := acc.Task
	d, err := s.app.Detail(r.Context(), t)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	st := t.StatusAt(s.app.Now())
	class := map[loop.Status]string{loop.Overdue: "bad", loop.Done: "ok", loop.Failed: "bad", loop.Open: "warn"}[st]
	name := d.Customer.Name
	if name == "" {
		name = "a customer"
	}
	first := message.FirstName(d.Customer.Name)
	if first == "" {
		first = "the customer"
	}

	p := s.startPage("en", "Follow-up")
	p.put("<h1>Follow up with %s</h1>\n", name)
	if flash != "" {
		p.put(`<p class="note" role="status">%s</p>`+"\n", flash)
	}
	if problem != "" {
		p.put(`<p class="error" role="alert">%s</p>`+"\n", problem)
	}
	if !acc.CanAct && t.Status == loop.Open && problem == "" {
		p.put(`<p class="note" role="status">%s holds this follow-up now. This link shows it but can no longer change it.</p>`+"\n", acc.Holder())
	}
	p.put(`<dl class="facts">`+"\n"+`<dt>Status</dt><dd><span class="pill %s">%s</span>`, class, string(st))
	if t.Level != 0 {
		p.put(" · escalation level %s", strconv.Itoa(t.Level))
	}
	o := t.Owner()
	p.put("</dd>\n<dt>Owner</dt><dd>%s", o.OwnerName)
	if o.Team != "" {
		p.put(" (%s)", o.Team)
	}
	p.put("</dd>\n"+`<dt>Due</dt><dd><time datetime="%s">%s</time></dd>`+"\n",
		t.DueAt.Format(time.RFC3339), t.DueAt.Format("Mon 2 Jan 2006 15:04 MST"))
	if d.Account.Name != "" {
		p.put("<dt>Account</dt><dd>%s</dd>\n", d.Account.Name)
	}
	if e := d.Customer.Email; e != "" {
		p.put(`<dt>Email</dt><dd><a href="mailto:%s">%s</a></dd>`+"\n", url.PathEscape(e), e)
	}
	if ph := d.Customer.Phone; ph != "" {
		p.put(`<dt>Phone</dt><dd><a href="tel:%s">%s</a></dd>`+"\n", url.PathEscape(ph), ph)
	}
	if !t.AcknowledgedAt.IsZero() {
		p.put("<dt>First contact</dt><dd>%s</dd>\n", t.AcknowledgedAt.Format("2 Jan 2006 15:04 MST"))
	}
	question := message.Invite{Kind: t.Kind, Org: s.app.Config().Org, OwnerName: d.Survey.OwnerName}.Question()
	p.put("</dl>\n<h2>What they said</h2>\n<p><strong>%s</strong> to “%s”</p>\n",
		fmt.Sprintf("%d / %d", d.Response.Score, t.Kind.Scale().Max), question)
	if c, ok := t.LastChange(); ok {
		p.put(`<p class="note">They changed their answer from %s on <time datetime="%s">%s</time>.</p>`+"\n",
			fmt.Sprintf("%d / %d", c.From, t.Kind.Scale().Max), c.At.Format(time.RFC3339), c.At.Format("2 Jan 2006 15:04 MST"))
	}
	if d.Response.Comment != "" {
		p.put(`<blockquote class="note">%s</blockquote>`+"\n", d.Response.Comment)
	} else {
		p.put("<p>No comment.</p>\n")
	}

	if t.Status == loop.Open && acc.CanAct {
		if t.AcknowledgedAt.IsZero() {
			p.put(`<form method="post">
<input type="hidden" name="action" value="acknowledge">
<button type="submit" class="secondary">I'm on it</button>
</form>
`)
		}
		p.put(`<h2 id="complete-h">Close the loop</h2>
<form method="post" aria-labelledby="complete-h">
<input type="hidden" name="action" value="complete">
<fieldset class="field"><legend><strong>Outcome</strong></legend>
<label class="option"><input type="radio" name="outcome" value="resolved" required> Resolved</label>
<label class="option"><input type="radio" name="outcome" value="contacted"> Contacted, not resolved</label>
<label class="option"><input type="radio" name="outcome" value="unreachable"> Could not reach them</label>
</fieldset>
<div class="field"><label for="root_cause">Root cause</label>
<select id="root_cause" name="root_cause" required><option value="">Choose…</option>`)
		for _, rc := range s.app.Config().Loop.RootCauses {
			p.put(`<option value="%s">%s</option>`, rc, rc)
		}
		p.put(`</select></div>
<div class="field"><label for="notes">What you did (internal notes)</label><textarea id="notes" name="notes" rows="3" maxlength="5000"></textarea></div>
<div class="field"><label for="message_to_customer">A personal note to %s (optional, sent signed with your name)</label><textarea id="message_to_customer" name="message_to_customer" rows="4" maxlength="2000"></textarea></div>
<div class="field"><label><input type="checkbox" name="recovery_check" value="true"> Later, ask %s whether things were put right</label></div>
<button type="submit">Complete</button>
</form>
<h2 id="reassign-h">Hand it to someone else</h2>
<form method="post" aria-labelledby="reassign-h">
<input type="hidden" name="action" value="reassign">
<div class="field"><label for="owner_id">New owner (person id)</label>
<input type="text" id="owner_id" name="owner_id" list="people" required autocomplete="off">
<datalist id="people">`, first, first)
		for _, pe := range d.People {
			p.put(`<option value="%s">%s</option>`, pe.ID, pe.Name)
		}
		p.put(`</datalist></div>
<div class="field"><label for="reason">Why</label><input type="text" id="reason" name="reason" required maxlength="500"></div>
<button type="submit" class="secondary">Reassign</button>
</form>
`)
	} else if t.Status != loop.Open {
		p.put(`<h2>Outcome</h2>
<dl class="facts">
<dt>Outcome</dt><dd>%s</dd><dt>Root cause</dt><dd>%s</dd>
`, string(t.Outcome), t.RootCause)
		if t.Notes != "" {
			p.put("<dt>Notes</dt><dd>%s</dd>\n", t.Notes)
		}
		if t.MessageToCustomer != "" {
			p.put("<dt>Note to customer</dt><dd>%s</dd>\n", t.MessageToCustomer)
		}
		p.put("</dl>\n")
	}

	p.put("<h2>Owners</h2>\n<ol>")
	for _, h := range t.Owners {
		p.put("<li>%s from %s", h.OwnerName, h.From.Format("2 Jan 2006 15:04"))
		if h.Reason != "" {
			p.put(" – %s", h.Reason)
		}
		p.put("</li>")
	}
	p.put(`</ol>
<h2>History with %s</h2>
<div class="table-wrap" role="region" tabindex="0" aria-labelledby="timeline-cap"><table><caption id="timeline-cap" class="sr">Timeline</caption>
<thead><tr><th scope="col">When</th><th scope="col">What</th></tr></thead>
<tbody>`, first)
	for _, e := range d.Timeline {
		p.put(`<tr><td><time datetime="%s">%s</time></td><td>%s</td></tr>`, e.At.Format(time.RFC3339), e.At.Format("2 Jan 2006 15:04"), e.Summary)
	}
	p.put("</tbody>\n</table></div>\n")
	sendPage(w, code, p)
}

func (s *Server) taskPage(w http.ResponseWriter, r *http.Request) {
	acc, err := s.app.TaskByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderTask(w, r, acc, http.StatusOK, "", "")
}

// taskAction serves the task page's three forms.
func (s *Server) taskAction(w http.ResponseWriter, r *http.Request) {
	acc, err := s.app.TaskByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if !readForm(w, r) {
		s.renderTask(w, r, acc, http.StatusRequestEntityTooLarge, "", "The form was too large.")
		return
	}
	f := r.PostForm
	ctx, id := r.Context(), acc.Task.ID
	var (
		flash string
		act   func(by loop.Actor) (loop.Task, error)
	)
	switch f.Get("action") {
	case "acknowledge":
		act = func(by loop.Actor) (loop.Task, error) { return s.app.Acknowledge(ctx, id, by) }
		flash = "Noted: you're on it. Reminders to you stop; the due time stays."
	case "complete":
		in := app.CompleteInput{
			Outcome: loop.Outcome(f.Get("outcome")), RootCause: f.Get("root_cause"), Notes: f.Get("notes"),
			MessageToCustomer: f.Get("message_to_customer"), RecoveryCheck: f.Get("recovery_check") == "true",
		}
		act = func(by loop.Actor) (loop.Task, error) { return s.app.Complete(ctx, id, in, by) }
		flash = "Thank you. The loop is closed."
	case "reassign":
		in := app.ReassignInput{OwnerID: f.Get("owner_id"), Reason: f.Get("reason")}
		act = func(by loop.Actor) (loop.Task, error) { return s.app.Reassign(ctx, id, in, by) }
		flash = "Reassigned. The new owner has been sent the follow-up."
	default:
		act = func(loop.Actor) (loop.Task, error) {
			return acc.Task, app.FieldError("action", "must be acknowledge, complete or reassign")
		}
	}
	if _, err := s.app.ActAs(acc, act); err != nil {
		if code := app.CodeOf(err); code == app.Invalid || code == app.Conflict {
			cur, terr := s.app.TaskByToken(ctx, r.PathValue("token"))
			if terr != nil {
				s.pageError(w, r, terr)
				return
			}
			s.renderTask(w, r, cur, status[code], "", problemText(err))
			return
		}
		s.pageError(w, r, err)
		return
	}
	// Read again through the link: after a reassignment its person may no
	// longer act.
	cur, err := s.app.TaskByToken(ctx, r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderTask(w, r, cur, http.StatusOK, flash, "")
}

// problemText turns a validation error into one sentence for a page.
func problemText(err error) string {
	var e *app.Error
	if !errors.As(err, &e) {
		return "Something went wrong."
	}
	msg := e.Message
	for f, p := range e.Fields {
		msg = f + " " + p + "."
	}
	return msg
}
