package devserver

import (
	"context"
	"fmt"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/directory"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// LoadDemo adds a small organisation and a few interactions, so a first
// run has surveys in the outbox to answer. Loading it twice changes nothing.
func (s *Server) LoadDemo(ctx context.Context) error {
	people := []struct {
		id string
		in app.PersonInput
	}{
		// Dana leads Customer Success: she manages María and Sam and reads
		// the dashboard. Alex looks after the directory and the API keys.
		{"dana", app.PersonInput{Name: "Dana Whitfield", Email: "dana@example.com", Team: "Customer Success",
			Roles: []directory.Role{directory.Owner, directory.Manager, directory.Leader}, Timezone: "Europe/London"}},
		{"maria", app.PersonInput{Name: "María García", Email: "maria@example.com", ManagerID: "dana", Team: "Customer Success", Timezone: "Europe/Madrid"}},
		{"sam", app.PersonInput{Name: "Sam Okafor", Email: "sam@example.com", ManagerID: "dana", Team: "Support", Timezone: "Africa/Lagos"}},
		{"alex", app.PersonInput{Name: "Alex Kim", Email: "alex@example.com", Team: "Operations",
			Roles: []directory.Role{directory.Admin}, Timezone: "America/Toronto"}},
	}
	for _, p := range people {
		if _, _, err := s.App.PutPerson(ctx, p.id, p.in); err != nil {
			return fmt.Errorf("person %s: %w", p.id, err)
		}
	}
	for id, in := range map[string]app.AccountInput{
		"acme":    {Name: "Acme Logistics", OwnerID: "maria"},
		"globex":  {Name: "Globex Retail", OwnerID: "sam"},
		"initech": {Name: "Initech", OwnerID: "maria"},
	} {
		if _, _, err := s.App.PutAccount(ctx, id, in); err != nil {
			return fmt.Errorf("account %s: %w", id, err)
		}
	}
	now := s.Clock.Now()
	interactions := []app.Interaction{
		{ID: "demo-1001", Type: "support_ticket", Channel: survey.Email, Survey: survey.NPS, AccountID: "acme",
			Customer: app.Contact{ID: "cust-ana", Name: "Ana Lopez", Email: "ana@acme.example", Locale: "en-GB", Timezone: "Europe/London"}},
		{ID: "demo-1002", Type: "onboarding_call", Channel: survey.Email, Survey: survey.CSAT, AccountID: "globex",
			Customer: app.Contact{ID: "cust-ben", Name: "Ben Carter", Email: "ben@globex.example", Locale: "en-US", Timezone: "America/New_York"}},
		{ID: "demo-1003", Type: "support_chat", Channel: survey.Email, Survey: survey.CES, AccountID: "initech",
			Customer: app.Contact{ID: "cust-lucia", Name: "Lucía Fernández", Email: "lucia@initech.example", Locale: "es-ES", Timezone: "Europe/Madrid"}},
		{ID: "demo-1004", Type: "delivery", Channel: survey.SMS, Survey: survey.NPS, AccountID: "acme",
			Customer: app.Contact{ID: "cust-kai", Name: "Kai Schmidt", Phone: "+4915123456789", Locale: "de-DE", Timezone: "UTC"}},
	}
	for _, in := range interactions {
		in.OccurredAt = now.Format("2006-01-02T15:04:05Z07:00")
		if _, _, err := s.App.Ingest(ctx, in); err != nil {
			return fmt.Errorf("interaction %s: %w", in.ID, err)
		}
	}
	return nil
}
