package devserver

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/cxloop/cxloop/shared/core/app"
)

// sendWorkers is how many surveys the background sender sends at once. A
// send waits on a few commits in turn, so it takes many at once to fill
// the store's group commits (as Lambda runs many send-survey functions).
const sendWorkers = 32

// errStopping refuses sends once the server is closing; the sweeper sends
// those surveys after the next start.
var errStopping = errors.New("dev server is stopping")

// sender is the local queue in background mode: surveys are sent by
// sendWorkers goroutines after the request that accepted them has been
// answered, as SQS and the send-survey function do in AWS. Nothing is lost if the process
// stops first: an unsent survey stays due, and the sweeper sends it.
type sender struct {
	app     func() *app.App // set once build has made the app
	log     *slog.Logger
	ids     chan string
	pending atomic.Int64 // queued or being sent
	wg      sync.WaitGroup

	mu     sync.RWMutex // guards closed and sending on ids
	closed bool
}

func newSender(a func() *app.App, log *slog.Logger) *sender {
	q := &sender{app: a, log: log, ids: make(chan string, 1024)}
	q.wg.Add(sendWorkers)
	for range sendWorkers {
		go q.work()
	}
	return q
}

// EnqueueSend queues the survey; when the queue is full it sends at once,
// so a burst slows its callers down instead of piling up in memory.
func (q *sender) EnqueueSend(ctx context.Context, surveyID string) error {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return errStopping
	}
	q.pending.Add(1)
	select {
	case q.ids <- surveyID:
		return nil
	default:
		defer q.pending.Add(-1)
		return q.app().Send(ctx, surveyID)
	}
}

func (q *sender) work() {
	defer q.wg.Done()
	for id := range q.ids {
		ctx := context.Background()
		if err := q.app().Send(ctx, id); err != nil {
			q.log.WarnContext(ctx, "background send failed; the sweeper will send it", "survey_id", id, "err", err)
		}
		q.pending.Add(-1)
	}
}

// close stops taking surveys and waits for the queued ones to be sent.
func (q *sender) close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	close(q.ids)
	q.mu.Unlock()
	q.wg.Wait()
}
