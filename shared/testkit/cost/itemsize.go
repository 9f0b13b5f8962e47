package cost

import (
	"strconv"
	"strings"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ItemSize is an item's size as DynamoDB counts it for capacity: for each
// attribute, the UTF-8 length of its name plus the size of its value.
func ItemSize(item map[string]ddbtypes.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

// valueSize follows DynamoDB's item size rules (developer guide, "Item
// sizes and formats"); the number rule is the one dynalite reproduces:
// one byte per two significant digits, plus one.
func valueSize(v ddbtypes.AttributeValue) int {
	switch x := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return len(x.Value)
	case *ddbtypes.AttributeValueMemberB:
		return len(x.Value)
	case *ddbtypes.AttributeValueMemberN:
		return numberSize(x.Value)
	case *ddbtypes.AttributeValueMemberBOOL, *ddbtypes.AttributeValueMemberNULL:
		return 1
	case *ddbtypes.AttributeValueMemberSS:
		n := 0
		for _, s := range x.Value {
			n += len(s)
		}
		return n
	case *ddbtypes.AttributeValueMemberBS:
		n := 0
		for _, b := range x.Value {
			n += len(b)
		}
		return n
	case *ddbtypes.AttributeValueMemberNS:
		n := 0
		for _, s := range x.Value {
			n += numberSize(s)
		}
		return n
	case *ddbtypes.AttributeValueMemberL:
		n := 3
		for _, e := range x.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *ddbtypes.AttributeValueMemberM:
		return 3 + len(x.Value) + ItemSize(x.Value)
	}
	return 0
}

// numberSize is the stored size of a DynamoDB number: the significant
// digits (leading and trailing zeros trimmed) take one byte per two, plus
// one byte, plus one more when the digits do not line up with the
// base-100 exponent, plus one for a negative number.
func numberSize(s string) int {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, _ = strconv.Atoi(s[i+1:])
		s = s[:i]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	digits := intPart + frac
	lead := len(digits) - len(strings.TrimLeft(digits, "0"))
	digits = strings.TrimRight(strings.TrimLeft(digits, "0"), "0")
	if digits == "" {
		return 1
	}
	e := len(intPart) - lead - 1 + exp // exponent of the first significant digit
	n := 1 + (len(digits)+1)/2
	if len(digits)%2 == 0 && e%2 == 0 {
		n++
	}
	if neg {
		n++
	}
	return n
}
