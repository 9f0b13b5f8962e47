package dynamo

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/core/store"
)

// Attribute names of the table.
const (
	attrPK   = "pk"
	attrSK   = "sk"
	attrV    = "v"
	attrTTL  = "ttl"
	attrData = "data"
)

// indexes are the table's GSIs in slot order, with their key attributes.
var indexes = [3]struct {
	index  store.Index
	pk, sk string
}{
	{store.Due, "gsi1pk", "gsi1sk"},
	{store.Customer, "gsi2pk", "gsi2sk"},
	{store.Listing, "gsi3pk", "gsi3sk"},
}

// CreateTableInput is the CreateTable call for the cxloop table called
// name: on-demand capacity, pk/sk keys and the three GSIs (gsi1..gsi3)
// projecting all attributes. It matches the table in template.yaml (see
// the package documentation).
func CreateTableInput(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
	}
	for _, ix := range indexes {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String(ix.pk), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String(ix.sk), AttributeType: types.ScalarAttributeTypeS},
		)
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(string(ix.index)),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.pk), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.sk), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	return in
}

// TimeToLiveInput is the UpdateTimeToLive call that makes DynamoDB delete
// items some time after their ttl attribute (Item.ExpiresAt) passes.
func TimeToLiveInput(name string) *dynamodb.UpdateTimeToLiveInput {
	return &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(attrTTL),
			Enabled:       aws.Bool(true),
		},
	}
}
