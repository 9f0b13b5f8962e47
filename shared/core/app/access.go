package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/access"
	"github.com/cxloop/cxloop/shared/domain/loop"
)

// APIKeyInput is the body of POST /v1/api-keys.
type APIKeyInput struct {
	Name   string         `json:"name" validate:"required,max=100,nocontrol"`
	Scopes []access.Scope `json:"scopes" validate:"required,min=1,max=4,dive,oneof=ingest read tasks admin"`
}

// ErrUnauthorized is returned for a missing, unknown or revoked API key.
var ErrUnauthorized = &Error{Code: Unauthorized, Message: "a valid API key is required: Authorization: Bearer <key>"}

// CreateAPIKey makes a named, scoped key and returns it with its secret,
// which is not kept and cannot be shown again.
func (a *App) CreateAPIKey(ctx context.Context, in APIKeyInput) (access.Key, string, error) {
	if err := a.check(in); err != nil {
		return access.Key{}, "", err
	}
	k := access.Key{ID: access.NewID(), Name: strings.TrimSpace(in.Name), CreatedAt: a.Now()}
	for _, s := range in.Scopes {
		if !slices.Contains(k.Scopes, s) {
			k.Scopes = append(k.Scopes, s)
		}
	}
	secret, hash := access.NewKey(k.ID)
	k.Hash = hash
	if err := a.store.APIKeys.Create(ctx, k); err != nil {
		return access.Key{}, "", fmt.Errorf("create API key: %w", err)
	}
	a.log.InfoContext(ctx, "API key created", "key_id", k.ID, "name", k.Name, "scopes", k.Scopes)
	return k, secret, nil
}

// APIKeys lists the keys, oldest first, a page at a time.
func (a *App) APIKeys(ctx context.Context, cursor string, limit int) ([]access.Key, string, error) {
	return a.store.APIKeys.Page(ctx, store.Query{Index: store.Listing, PK: "APIKEYS"}, cursor, limit, nil)
}

// RevokeAPIKey stops a key working, at once. Revoking it again is harmless.
//
// by is who revokes it. Nobody revokes the key they are using (the
// request's, or the one their session was made from): it would lock out
// the very client asking, so another admin key, or an admin signed in as
// a person, does it.
func (a *App) RevokeAPIKey(ctx context.Context, id string, by loop.Actor) (access.Key, error) {
	if err := CheckID("id", id); err != nil {
		return access.Key{}, err
	}
	if by.KeyID == id {
		return access.Key{}, Errorf(Conflict, "this is the API key you are using: revoke it with another admin key, or signed in as an admin")
	}
	now := a.Now()
	k, err := a.store.APIKeys.Update(ctx, id, func(k *access.Key) error {
		if k.Revoked() {
			return store.ErrNoChange
		}
		k.RevokedAt = now
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return access.Key{}, &Error{Code: NotFound, Message: "no such API key", Err: err}
	}
	if err != nil {
		return access.Key{}, fmt.Errorf("revoke API key %s: %w", id, err)
	}
	a.log.InfoContext(ctx, "API key revoked", "key_id", k.ID, "name", k.Name)
	return k, nil
}

// Authenticate returns the key a bearer secret belongs to, if it is
// valid and not revoked. The deployment's configured key (InitialAPIKey)
// is the initial admin key: kept as a record the first time it is used,
// so that it can be revoked like any other, and checked against the
// configured secret, so that changing the configuration rotates it.
func (a *App) Authenticate(ctx context.Context, secret string) (access.Key, error) {
	id := access.IDOf(secret)
	if id == access.InitialKeyID {
		return a.initialKey(ctx, secret)
	}
	if !ValidID(id) {
		return access.Key{}, ErrUnauthorized
	}
	k, err := a.store.APIKeys.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return access.Key{}, ErrUnauthorized
	}
	if err != nil {
		return access.Key{}, fmt.Errorf("authenticate: %w", err)
	}
	if k.Revoked() || !k.Matches(secret) {
		return access.Key{}, ErrUnauthorized
	}
	return k, nil
}

func (a *App) initialKey(ctx context.Context, secret string) (access.Key, error) {
	want := a.cfg.InitialAPIKey
	if want == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(want)) != 1 {
		return access.Key{}, ErrUnauthorized
	}
	hash := access.Hash(want)
	k, err := a.store.APIKeys.Upsert(ctx, access.InitialKeyID, func(k *access.Key, exists bool) error {
		if !exists {
			*k = access.Key{ID: access.InitialKeyID, Name: "initial admin key (CXLOOP_API_KEY)", Scopes: []access.Scope{access.Admin}, CreatedAt: a.Now()}
		}
		if k.Revoked() || k.Hash == hash {
			return store.ErrNoChange
		}
		k.Hash = hash // first use, or the configured key changed
		return nil
	})
	if err != nil {
		return access.Key{}, fmt.Errorf("authenticate: initial key: %w", err)
	}
	if k.Revoked() {
		return access.Key{}, ErrUnauthorized
	}
	return k, nil
}
