package token

import (
	"bytes"
	"testing"
	"time"
)

func BenchmarkVerify(b *testing.B) {
	s, err := NewSigner(bytes.Repeat([]byte{1}, KeySize))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tok := s.Sign(Survey, "sv_kkdch3uip4xa6oo2zewup5nt", now.Add(time.Hour))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(Survey, tok, now); err != nil {
			b.Fatal(err)
		}
	}
}
