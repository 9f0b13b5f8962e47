package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cxloop/cxloop/shared/core/store"
)

// An item's value, in memory and in the journal:
//
//	byte     codec (1)
//	uvarint  Version
//	varint   ExpiresAt
//	3 × (uvarint len, PK, uvarint len, SK)   gsi1..gsi3, zero keys as two empty strings
//	rest     Data, verbatim
//
// The item's own key is the map key, so it is not repeated.
const codecV1 = 1

var errCorrupt = errors.New("corrupt item value")

// head is the part of a stored item a write needs: its version and its
// index entries (to remove the ones the new item drops).
type head struct {
	version   int64
	expiresAt int64
	index     [3]store.Key
}

// itemSize approximates the size DynamoDB would count for item.
func itemSize(item store.Item) int {
	n := len(item.PK) + len(item.SK) + len(item.Data) + 2*8
	for _, k := range indexKeys(item) {
		n += len(k.PK) + len(k.SK)
	}
	return n
}

func encodeItem(item store.Item) []byte {
	b := make([]byte, 0, itemSize(item)+1+2*binary.MaxVarintLen64+6*binary.MaxVarintLen32)
	b = append(b, codecV1)
	b = binary.AppendUvarint(b, uint64(item.Version))
	b = binary.AppendVarint(b, item.ExpiresAt)
	for _, k := range indexKeys(item) {
		b = appendString(b, k.PK)
		b = appendString(b, k.SK)
	}
	return append(b, item.Data...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeHead decodes everything but Data, and returns where Data starts.
func decodeHead(b []byte) (head, int, error) {
	var h head
	if len(b) == 0 || b[0] != codecV1 {
		return h, 0, errCorrupt
	}
	off := 1
	v, n := binary.Uvarint(b[off:])
	if n <= 0 {
		return h, 0, errCorrupt
	}
	h.version = int64(v)
	off += n
	if h.expiresAt, n = binary.Varint(b[off:]); n <= 0 {
		return h, 0, errCorrupt
	}
	off += n
	for i := range h.index {
		var pk, sk string
		var ok bool
		if pk, off, ok = readString(b, off); !ok {
			return h, 0, errCorrupt
		}
		if sk, off, ok = readString(b, off); !ok {
			return h, 0, errCorrupt
		}
		h.index[i] = store.Key{PK: pk, SK: sk}
	}
	return h, off, nil
}

func readString(b []byte, off int) (string, int, bool) {
	l, n := binary.Uvarint(b[off:])
	if n <= 0 || l > uint64(len(b)-off-n) {
		return "", 0, false
	}
	off += n
	return string(b[off : off+int(l)]), off + int(l), true
}

// decodeItem decodes the stored value b of the item with key into a copy
// the caller may change without touching the stored one.
func decodeItem(key store.Key, b []byte) (store.Item, error) {
	h, off, err := decodeHead(b)
	if err != nil {
		return store.Item{}, fmt.Errorf("%s/%s: %w", key.PK, key.SK, err)
	}
	item := store.Item{
		Key:       key,
		GSI1:      h.index[0],
		GSI2:      h.index[1],
		GSI3:      h.index[2],
		Version:   h.version,
		ExpiresAt: h.expiresAt,
	}
	if len(b) > off {
		item.Data = append([]byte(nil), b[off:]...)
	}
	return item, nil
}
