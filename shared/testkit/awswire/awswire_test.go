package awswire_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/testkit/awswire"
)

func TestServerRecordsAndRepeatsLastResponse(t *testing.T) {
	t.Parallel()
	first := awswire.JSON10Error(400, "ns", "ThrottlingException", "slow down", map[string]any{"Extra": 1})
	tagged := first.WithHeader("x-amzn-query-error", "Code;Sender")
	if _, ok := first.Header["x-amzn-query-error"]; ok {
		t.Error("WithHeader changed the response it was called on")
	}
	srv := awswire.NewServer(t, tagged, awswire.JSON10(`{"ok":true}`))
	var statuses []int
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/path", strings.NewReader(`{"n":1}`))
		req.Header.Set("X-Amz-Target", "Svc.Op")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		if i == 0 {
			if resp.Header.Get("x-amzn-query-error") != "Code;Sender" || !strings.Contains(string(body), `"__type":"ns#ThrottlingException"`) {
				t.Errorf("first answer = %v %s", resp.Header, body)
			}
		}
	}
	if statuses[0] != 400 || statuses[1] != 200 || statuses[2] != 200 {
		t.Errorf("statuses = %v, want 400 then the last response repeated", statuses)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 || reqs[0].Target() != "Svc.Op" || reqs[0].Path != "/path" || reqs[0].JSON(t)["n"] != float64(1) {
		t.Errorf("recorded %+v", reqs)
	}
}
