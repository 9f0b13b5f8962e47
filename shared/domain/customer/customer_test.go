package customer_test

import (
	"slices"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/domain/customer"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

func TestOptOutHas(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		o          customer.OptOut
		email, sms bool
	}{
		{"none", customer.OptOut{}, false, false},
		{"email", customer.OptOut{Email: true}, true, false},
		{"sms", customer.OptOut{SMS: true}, false, true},
		{"all", customer.OptOut{All: true}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.o.Has(survey.Email); got != tt.email {
				t.Errorf("Has(email) = %v, want %v", got, tt.email)
			}
			if got := tt.o.Has(survey.SMS); got != tt.sms {
				t.Errorf("Has(sms) = %v, want %v", got, tt.sms)
			}
			if got := tt.o.Has("pigeon"); got != tt.o.All {
				t.Errorf("Has(unknown) = %v, want %v", got, tt.o.All)
			}
		})
	}
}

func TestAddress(t *testing.T) {
	t.Parallel()
	c := customer.Customer{Email: "ana@example.com", Phone: "+14155550100"}
	if got := c.Address(survey.Email); got != c.Email {
		t.Errorf("Address(email) = %q", got)
	}
	if got := c.Address(survey.SMS); got != c.Phone {
		t.Errorf("Address(sms) = %q", got)
	}
}

func TestRecordAskedAndScopes(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC)
	var c customer.Customer
	if got := c.Asked(survey.PerAccount, "acme"); got != (survey.Asked{}) {
		t.Errorf("never asked: %+v", got)
	}
	c.RecordAsked("acme", survey.Asked{SurveyID: "sv_1", At: at})
	c.RecordAsked("globex", survey.Asked{SurveyID: "sv_2", At: at.Add(time.Hour)})
	if got := c.Asked(survey.PerPerson, "acme"); got.SurveyID != "sv_2" {
		t.Errorf("per person: %+v, want the latest survey sv_2", got)
	}
	if got := c.Asked(survey.PerAccount, "acme"); got.SurveyID != "sv_1" {
		t.Errorf("per account acme: %+v, want sv_1", got)
	}
	if got := c.Asked(survey.PerAccount, "globex"); got.SurveyID != "sv_2" {
		t.Errorf("per account globex: %+v, want sv_2", got)
	}
	if got := c.Asked(survey.PerAccount, "initech"); got != (survey.Asked{}) {
		t.Errorf("per account, other account: %+v, want never asked", got)
	}
}

func TestOpenTasks(t *testing.T) {
	t.Parallel()
	var c customer.Customer
	c.AddOpenTask("tk_1")
	c.AddOpenTask("tk_2")
	c.AddOpenTask("tk_1")
	if !slices.Equal(c.OpenTasks, []string{"tk_1", "tk_2"}) {
		t.Fatalf("OpenTasks = %v, want each once", c.OpenTasks)
	}
	c.CloseTask("tk_3")
	c.CloseTask("tk_1")
	if !slices.Equal(c.OpenTasks, []string{"tk_2"}) {
		t.Fatalf("after closing tk_1: %v", c.OpenTasks)
	}
	c.CloseTask("tk_2")
	if len(c.OpenTasks) != 0 {
		t.Fatalf("after closing all: %v", c.OpenTasks)
	}
}
