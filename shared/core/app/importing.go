package app

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"sync"

	"github.com/cxloop/cxloop/shared/core/store"
)

// MaxImportRows bounds one import.
const MaxImportRows = 10_000

// importWorkers is how many rows an import writes at once: enough to hide
// a store's round trip (DynamoDB's), few enough not to throttle it.
const importWorkers = 8

// PersonRow is one row of a people import: its line in the file, the id
// and the same fields as PUT /v1/people/{id}.
type PersonRow struct {
	Line int
	ID   string
	PersonInput
}

// AccountRow is one row of an accounts import.
type AccountRow struct {
	Line int
	ID   string
	AccountInput
}

// RowError is what is wrong with one row of an import; nothing from that
// row was stored.
type RowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ImportResult says what an import did. Importing the same file again
// changes nothing: its rows come back as unchanged.
type ImportResult struct {
	Imported  int        `json:"imported"`
	Created   int        `json:"created"`
	Updated   int        `json:"updated"`
	Unchanged int        `json:"unchanged"`
	Errors    []RowError `json:"errors"`
}

// ImportPeople creates or replaces the people of rows, each as PUT
// /v1/people/{id} would, and reports every row it refused. A manager may
// be a person further down the same file.
func (a *App) ImportPeople(ctx context.Context, rows []PersonRow) (ImportResult, error) {
	if len(rows) > MaxImportRows {
		return ImportResult{}, Errorf(Invalid, "an import takes at most %d rows; this one has %d", MaxImportRows, len(rows))
	}
	var res ImportResult
	inFile := map[string]int{}
	var ok []PersonRow
	for _, r := range rows {
		if line, dup := inFile[r.ID]; dup {
			res.refuse(r.Line, FieldError("id", "is also on row "+strconv.Itoa(line)))
			continue
		}
		if err := a.checkPerson(r.ID, r.PersonInput); err != nil {
			res.refuse(r.Line, err)
			continue
		}
		inFile[r.ID] = r.Line
		ok = append(ok, r)
	}
	// Managers must be known: in the directory, or a valid row of the file.
	var valid []PersonRow
	for _, r := range ok {
		if m := r.ManagerID; m != "" {
			if _, there := inFile[m]; !there {
				if _, err := a.store.People.Get(ctx, m); err != nil {
					if !errors.Is(err, store.ErrNotFound) {
						return ImportResult{}, err
					}
					res.refuse(r.Line, FieldError("manager_id", "must be a known person, or one on a valid row of this file"))
					continue
				}
			}
		}
		valid = append(valid, r)
	}
	err := a.importRows(ctx, &res, len(valid), func(i int) (int, bool, bool, error) {
		r := valid[i]
		before, getErr := a.store.People.Get(ctx, r.ID)
		p, created, err := a.PutPerson(ctx, r.ID, r.PersonInput)
		return r.Line, created, getErr == nil && before.Same(p), err
	})
	return res, err
}

// ImportAccounts creates or replaces the accounts of rows, each as PUT
// /v1/accounts/{id} would (their owner must be a known person: import the
// people first), and reports every row it refused.
func (a *App) ImportAccounts(ctx context.Context, rows []AccountRow) (ImportResult, error) {
	if len(rows) > MaxImportRows {
		return ImportResult{}, Errorf(Invalid, "an import takes at most %d rows; this one has %d", MaxImportRows, len(rows))
	}
	var res ImportResult
	inFile := map[string]int{}
	var valid []AccountRow
	for _, r := range rows {
		if line, dup := inFile[r.ID]; dup {
			res.refuse(r.Line, FieldError("id", "is also on row "+strconv.Itoa(line)))
			continue
		}
		inFile[r.ID] = r.Line
		valid = append(valid, r)
	}
	err := a.importRows(ctx, &res, len(valid), func(i int) (int, bool, bool, error) {
		r := valid[i]
		before, getErr := a.store.Accounts.Get(ctx, r.ID)
		acct, created, err := a.PutAccount(ctx, r.ID, r.AccountInput)
		return r.Line, created, getErr == nil && before == acct, err
	})
	return res, err
}

// importRows runs put for rows 0..n-1 on importWorkers at once and
// tallies the outcomes; a row's validation error is reported, any other
// error ends the import (what was stored stays: running it again finishes
// it, since the rows already stored come back unchanged).
func (a *App) importRows(ctx context.Context, res *ImportResult, n int, put func(i int) (line int, created, unchanged bool, err error)) error {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
		next  = make(chan int)
	)
	for range min(importWorkers, n) {
		wg.Go(func() {
			for i := range next {
				line, created, unchanged, err := put(i)
				mu.Lock()
				switch {
				case CodeOf(err) == Invalid:
					res.refuse(line, err)
				case err != nil:
					if first == nil {
						first = err
					}
				case created:
					res.Imported++
					res.Created++
				case unchanged:
					res.Imported++
					res.Unchanged++
				default:
					res.Imported++
					res.Updated++
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	sort.Slice(res.Errors, func(i, j int) bool {
		if res.Errors[i].Row != res.Errors[j].Row {
			return res.Errors[i].Row < res.Errors[j].Row
		}
		return res.Errors[i].Field < res.Errors[j].Field
	})
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// refuse records every field error of err for the row at line.
func (r *ImportResult) refuse(line int, err error) {
	var e *Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		r.Errors = append(r.Errors, RowError{Row: line, Message: errorMessage(err)})
		return
	}
	for f, m := range e.Fields {
		r.Errors = append(r.Errors, RowError{Row: line, Field: f, Message: m})
	}
}

func errorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "could not be stored"
}
