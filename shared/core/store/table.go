// Package store keeps cxloop's records in one table shaped like a DynamoDB
// single-table design. The Table port is the only thing adapters implement
// (the embedded Pebble-backed table locally, DynamoDB in AWS); everything typed is
// built once on top of it, so both adapters behave the same by construction
// and the contract suite in storetest proves the port semantics.
package store

import (
	"context"
	"errors"
)

// ErrNotFound is returned by Get when no item has the key.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a write's condition does not hold.
var ErrConflict = errors.New("store: condition failed")

// Key addresses an item, or an item's entry in a secondary index.
// A zero Key in an index slot means the item is not in that index (sparse index).
type Key struct {
	PK string
	SK string
}

// IsZero reports whether the key is unset.
func (k Key) IsZero() bool { return k.PK == "" && k.SK == "" }

// Index names a secondary index.
type Index string

// The table's indexes. Each carries its own partition and sort key per item.
const (
	Primary Index = ""
	// Due orders things by the time they are due: the DUE partition holds
	// everything the sweeper must do (survey sends, reminders, expiries,
	// provisional answers becoming final, loops to start); TASKS#<status>
	// partitions hold follow-up tasks by due time.
	Due Index = "gsi1"
	// Customer groups everything about one person (timeline, erasure).
	Customer Index = "gsi2"
	// Listing serves the list endpoints and reports (responses by time,
	// tasks by status).
	Listing Index = "gsi3"
)

// Item is one record. Data is the JSON document; the rest is addressing.
type Item struct {
	Key
	GSI1 Key // Due index entry
	GSI2 Key // Customer index entry
	GSI3 Key // Listing index entry
	// Version is maintained by the table: 1 after the first write, +1 after each.
	Version int64
	// ExpiresAt (unix seconds, 0 = never) lets the table delete the item
	// some time after it passes (DynamoDB TTL). Readers must not rely on
	// the deletion having happened.
	ExpiresAt int64
	Data      []byte
}

// Cond is the condition a Put must satisfy. There is no unconditional put:
// the zero Cond is IfVersion(0), which no stored item satisfies, so every
// write says whether it creates or replaces.
type Cond struct {
	absent  bool
	version int64
}

// IfAbsent makes a Put succeed only when no item has the key.
func IfAbsent() Cond { return Cond{absent: true} }

// IfVersion makes a Put succeed only when the stored item has version v.
func IfVersion(v int64) Cond { return Cond{version: v} }

// Absent reports whether the condition requires the key to be free.
func (c Cond) Absent() bool { return c.absent }

// Version is the version the stored item must have (when not Absent).
func (c Cond) Version() int64 { return c.version }

// Query selects items of one partition of the table or of an index,
// in sort key order.
type Query struct {
	Index Index
	PK    string
	// SK bounds, inclusive; empty means unbounded.
	From, To string
	// Prefix, when set, keeps only sort keys that begin with it.
	Prefix string
	// Limit caps the number of items returned; 0 means all.
	Limit int
	// Desc returns items in descending sort key order.
	Desc bool
}

// Table is the storage port.
type Table interface {
	// Get reads one item with a strongly consistent read; ErrNotFound if absent.
	Get(ctx context.Context, key Key) (Item, error)
	// Put writes the whole item when cond holds, and returns it with its new
	// Version; ErrConflict (wrapped) when cond does not hold.
	Put(ctx context.Context, item Item, cond Cond) (Item, error)
	// Delete removes an item; deleting a missing item is not an error.
	Delete(ctx context.Context, key Key) error
	// Query returns the matching items. Index queries may be eventually consistent.
	Query(ctx context.Context, q Query) ([]Item, error)
}
