package devserver_test

import (
	"net/http"
	"strings"
	"testing"
)

type apiKeyOut struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	Key       string   `json:"key"`
	RevokedAt string   `json:"revoked_at"`
}

func (d *dev) newKey(name string, scopes ...string) apiKeyOut {
	d.t.Helper()
	r := d.api(http.MethodPost, "/v1/api-keys", map[string]any{"name": name, "scopes": scopes})
	want(d.t, r, http.StatusCreated, "POST /v1/api-keys")
	k := decodeJSON[apiKeyOut](d.t, r)
	if !strings.HasPrefix(k.Key, "cxk_") || k.ID == "" {
		d.t.Fatalf("new key = %+v, want an id and a cxk_ secret", k)
	}
	return k
}

// Keys are named and scoped, shown once, kept hashed and revocable at once.
func TestAPIKeysScopesAndRevocation(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("k-1", "cust-ana", customerEmail, 2)
	id := d.tasks("status=open")[0].ID
	reader := d.newKey("BI export", "read")
	worker := d.newKey("CRM sync", "tasks", "read")

	// A read key reads, and may do nothing else.
	want(t, d.raw(http.MethodGet, "/v1/tasks/"+id, "", reader.Key, nil), http.StatusOK, "read with the read key")
	for _, c := range []struct{ method, path, body string }{
		{http.MethodPost, "/v1/tasks/" + id + "/complete", `{"outcome":"resolved","root_cause":"billing"}`},
		{http.MethodDelete, "/v1/customers/cust-ana", ""},
		{http.MethodPost, "/v1/interactions", `{}`},
		{http.MethodPost, "/v1/api-keys", `{"name":"x","scopes":["admin"]}`},
		{http.MethodPut, "/v1/people/eve", `{"name":"Eve","email":"eve@example.com"}`},
	} {
		r := d.raw(c.method, c.path, "application/json", reader.Key, []byte(c.body))
		wantAPIError(t, r, http.StatusForbidden, "forbidden", "")
	}
	if got := d.task(id); got.Status != "open" {
		t.Fatalf("task after refused calls = %+v, want open", got)
	}

	// A tasks key acts, and the action records the key.
	want(t, d.raw(http.MethodPost, "/v1/tasks/"+id+"/acknowledge", "", worker.Key, nil), http.StatusOK, "acknowledge with the tasks key")
	if a := actionsOf(d.task(id), "acknowledged"); len(a) != 1 || a[0].By.Via != "api" || !strings.Contains(a[0].By.Name, "CRM sync") {
		t.Errorf("acknowledged = %+v, want by the CRM sync key", a)
	}

	// The list shows every key, never a secret or a hash.
	r := d.raw(http.MethodGet, "/v1/api-keys", "", apiKey, nil)
	want(t, r, http.StatusOK, "list keys")
	if strings.Contains(r.Text(), reader.Key) || strings.Contains(r.Text(), "hash") || !strings.Contains(r.Text(), `"BI export"`) {
		t.Errorf("key list leaks a secret or misses a key: %s", r)
	}

	// Revoked: at once, and for good.
	want(t, d.raw(http.MethodDelete, "/v1/api-keys/"+reader.ID, "", apiKey, nil), http.StatusOK, "revoke")
	wantAPIError(t, d.raw(http.MethodGet, "/v1/tasks/"+id, "", reader.Key, nil), http.StatusUnauthorized, "unauthorized", "")
	want(t, d.raw(http.MethodDelete, "/v1/api-keys/"+reader.ID, "", apiKey, nil), http.StatusOK, "revoke again")
	wantAPIError(t, d.raw(http.MethodDelete, "/v1/api-keys/nope", "", apiKey, nil), http.StatusNotFound, "not_found", "")

	// A forged secret with a real key's id, and bad bodies, are refused.
	forged := reader.Key[:len(reader.Key)-1] + "X"
	wantAPIError(t, d.raw(http.MethodGet, "/v1/tasks", "", strings.Replace(forged, reader.ID, worker.ID, 1), nil), http.StatusUnauthorized, "unauthorized", "")
	wantAPIError(t, d.api(http.MethodPost, "/v1/api-keys", map[string]any{"name": "x", "scopes": []string{"root"}}), http.StatusBadRequest, "invalid", "")
	wantAPIError(t, d.api(http.MethodPost, "/v1/api-keys", map[string]any{"name": "", "scopes": []string{"read"}}), http.StatusBadRequest, "invalid", "name")
}

// The configured key is the first admin key: it can be revoked like any
// other, and stays revoked across restarts; but not by itself, which
// would lock out the client asking.
func TestInitialKeyCanBeRevoked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := startDevAt(t, dir, "127.0.0.1:0")
	admin := d.newKey("second admin", "admin")
	r := d.raw(http.MethodGet, "/v1/api-keys", "", apiKey, nil)
	if !strings.Contains(r.Text(), `"id":"initial"`) {
		t.Fatalf("key list = %s, want the initial key listed", r)
	}
	wantAPIError(t, d.raw(http.MethodDelete, "/v1/api-keys/initial", "", apiKey, nil), http.StatusConflict, "conflict", "")
	want(t, d.raw(http.MethodGet, "/v1/tasks", "", apiKey, nil), http.StatusOK, "the key that would not revoke itself")
	want(t, d.raw(http.MethodDelete, "/v1/api-keys/initial", "", admin.Key, nil), http.StatusOK, "revoke the initial key")
	wantAPIError(t, d.raw(http.MethodGet, "/v1/tasks", "", apiKey, nil), http.StatusUnauthorized, "unauthorized", "")
	d.Close()
	d = startDevAt(t, dir, "127.0.0.1:0")
	wantAPIError(t, d.raw(http.MethodGet, "/v1/tasks", "", apiKey, nil), http.StatusUnauthorized, "unauthorized", "")
	want(t, d.raw(http.MethodGet, "/v1/tasks", "", admin.Key, nil), http.StatusOK, "the second admin key after a restart")
}
