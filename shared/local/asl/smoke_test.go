package asl

import (
	"testing"
)

func TestSmoke(t *testing.T) {
	t.Parallel()
	def := `{"StartAt":"A","States":{
	 "A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.a","Next":"W"},
	 "W":{"Type":"Wait","Seconds":10,"Next":"T"},
	 "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:Add","ResultPath":"$.sum","Next":"C"},
	 "C":{"Type":"Choice","Choices":[{"Variable":"$.sum","NumericGreaterThan":2,"Next":"P"}],"Default":"F"},
	 "P":{"Type":"Parallel","Branches":[{"StartAt":"B1","States":{"B1":{"Type":"Pass","End":true}}},{"StartAt":"B2","States":{"B2":{"Type":"Wait","Seconds":5,"End":true}}}],"Next":"M"},
	 "M":{"Type":"Map","ItemsPath":"$[0].items","ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value"},"Iterator":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true},
	 "F":{"Type":"Fail","Error":"Low","Cause":"too low"}}}`
	x := runDef(t, def, `{"items":[10,20],"n":2}`, map[string]handler{
		"Add": func(p any) (any, error) { return 3, nil },
	})
	mustSucceed(t, x)
	assertJSON(t, x.Output, `[{"i":0,"v":10},{"i":1,"v":20}]`)
	t.Log(x.StatesEntered())
}
