package asl

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Task tokens: base64url("v1|" + execution ARN + "|" + frame ID + "|" + run
// + "|" + 32 random hex bytes). The readable part routes the token to its
// frame durably; the random part makes it unguessable and is compared in
// full against the one stored in the frame.

func (e *Engine) newToken(arn, frameID string, run int64) (string, error) {
	var nonce [32]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", err
	}
	var buf [512]byte // room for the usual ARN, so the token is the only allocation
	raw := append(buf[:0], "v1|"...)
	raw = append(raw, arn...)
	raw = append(raw, '|')
	raw = append(raw, frameID...)
	raw = append(raw, '|')
	raw = strconv.AppendInt(raw, run, 10)
	raw = append(raw, '|')
	raw = hex.AppendEncode(raw, nonce[:])
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

func parseToken(tok string) (arn, frameID string, err error) {
	raw, derr := base64.RawURLEncoding.DecodeString(tok)
	if derr != nil {
		return "", "", ErrInvalidToken
	}
	// Exactly five fields: v1, ARN, frame ID, run, nonce.
	rest, ok := strings.CutPrefix(string(raw), "v1|")
	arn, rest, ok1 := strings.Cut(rest, "|")
	frameID, rest, ok2 := strings.Cut(rest, "|")
	_, nonce, ok3 := strings.Cut(rest, "|")
	if !ok || !ok1 || !ok2 || !ok3 || strings.Contains(nonce, "|") {
		return "", "", ErrInvalidToken
	}
	return arn, frameID, nil
}

// waitingFrame finds the frame waiting on tok. On success the execution's
// lock is held and the caller must release it; on error it is not held.
func (e *Engine) waitingFrame(ctx context.Context, tok string) (*stepper, *frame, error) {
	arn, frameID, err := parseToken(tok)
	if err != nil {
		return nil, nil, err
	}
	rec, _, err := e.acquire(ctx, arn, nil)
	if errors.Is(err, ErrExecutionDoesNotExist) {
		return nil, nil, ErrTaskDoesNotExist
	}
	if err != nil {
		return nil, nil, err
	}
	f := rec.Root.find(frameID)
	if rec.Status != StatusRunning || f == nil || f.Token != tok || (f.Phase != phaseToken && f.Phase != phaseInvoke) {
		// AWS answers TaskTimedOut for tokens of tasks that are no longer
		// waiting, whatever ended them.
		rec.mu.Unlock()
		return nil, nil, ErrTaskTimedOut
	}
	s := &stepper{e: e, rec: rec, now: e.clock.Now()}
	// A deadline that passed but was not yet ticked still counts.
	if s.advance(f) {
		err := e.save(ctx, rec)
		rec.mu.Unlock()
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrTaskTimedOut
	}
	return s, f, nil
}

// SendTaskSuccess completes the task waiting on token with output as its
// result, then runs the execution on until it blocks.
func (e *Engine) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	v, err := decodeJSON(output)
	if err != nil {
		return fmt.Errorf("send task success: %w: %v", ErrInvalidOutput, err)
	}
	s, f, err := e.waitingFrame(ctx, token)
	if err != nil {
		return fmt.Errorf("send task success: %w", err)
	}
	defer s.rec.mu.Unlock()
	st := s.stateOf(f)
	s.event("TaskSucceeded", st.Name, "", "")
	s.complete(f, st, v)
	return e.run(ctx, s.rec)
}

// SendTaskFailure fails the task waiting on token with the given error
// name and cause; Retry and Catch apply.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errorName, cause string) error {
	s, f, err := e.waitingFrame(ctx, token)
	if err != nil {
		return fmt.Errorf("send task failure: %w", err)
	}
	defer s.rec.mu.Unlock()
	s.fail(f, s.stateOf(f), &stateError{Name: errorName, Cause: cause})
	return e.run(ctx, s.rec)
}

// SendTaskHeartbeat restarts the HeartbeatSeconds countdown of the task
// waiting on token.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	s, f, err := e.waitingFrame(ctx, token)
	if err != nil {
		return fmt.Errorf("send task heartbeat: %w", err)
	}
	defer s.rec.mu.Unlock()
	if f.Heartbeat > 0 {
		t := s.now.Add(time.Duration(f.Heartbeat) * time.Second)
		f.HeartbeatAt = &t
		return e.save(ctx, s.rec)
	}
	return nil
}
