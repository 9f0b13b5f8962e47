// Package dynamo is the store.Table port on Amazon DynamoDB: one table in a
// single-table design, used by the Lambda functions in AWS. The typed
// records, their keys and the access patterns live in package store; this
// package only maps the port's Item, Cond and Query onto DynamoDB calls, so
// the same contract suite (store/storetest) proves it and the embedded
// journal-backed table behave alike.
//
// # Key design
//
// Every record is one item addressed by a string partition key pk and sort
// key sk. Three global secondary indexes give each record up to three more
// addresses, chosen by package store:
//
//	gsi1 (gsi1pk, gsi1sk)  store.Due       what must happen at a time: sends, reminders, expiries
//	gsi2 (gsi2pk, gsi2sk)  store.Customer  everything about one person: timeline, erasure
//	gsi3 (gsi3pk, gsi3sk)  store.Listing   list endpoints and reports, by time or status
//
// The indexes are sparse: an Item whose index Key is zero is written
// without that index's attributes, so it costs nothing in the index and
// never appears in its queries. All indexes project ALL attributes, so an
// index query returns whole items without a second read.
//
// # Attributes
//
//	pk, sk            S  primary key
//	gsiNpk, gsiNsk    S  index keys, absent when the Item's index Key is zero
//	v                 N  version: 1 after the first write, +1 after each
//	ttl               N  unix seconds after which DynamoDB TTL may delete the item; absent when 0
//	data              B  the record's JSON document; absent when empty
//
// data is a Binary attribute rather than a String: the port hands over
// bytes and must get the same bytes back, and Binary round-trips them
// exactly without the UTF-8 validation DynamoDB applies to strings; nothing
// queries inside the document (filter expressions cannot see into a JSON
// string either), and the size counted against the 400 KB item limit is the
// same. The cost is that the console shows it base64-encoded.
//
// # Writes and reads
//
// Put is a PutItem of the whole item with a condition built by the
// expression builder: attribute_not_exists(pk) for store.IfAbsent, #v = :v
// for store.IfVersion. A failed condition (ConditionalCheckFailedException,
// with ReturnValuesOnConditionCheckFailure ALL_OLD so the error can name the
// stored version without another read) is returned as a wrapped
// store.ErrConflict. Get is a strongly consistent GetItem. Query is a Query
// on the table or one index with a key condition (=, BETWEEN, >=, <= or
// begins_with on the sort key), read page by page with
// dynamodb.NewQueryPaginator until the Limit or the end; queries on the
// table are strongly consistent, index queries cannot be.
//
// # The table in the SAM template
//
// CreateTableInput builds the same table for tests and local setup; the
// template declares it as:
//
//	Table:
//	  Type: AWS::DynamoDB::Table
//	  Properties:
//	    BillingMode: PAY_PER_REQUEST
//	    AttributeDefinitions:
//	      - {AttributeName: pk, AttributeType: S}
//	      - {AttributeName: sk, AttributeType: S}
//	      - {AttributeName: gsi1pk, AttributeType: S}
//	      - {AttributeName: gsi1sk, AttributeType: S}
//	      - {AttributeName: gsi2pk, AttributeType: S}
//	      - {AttributeName: gsi2sk, AttributeType: S}
//	      - {AttributeName: gsi3pk, AttributeType: S}
//	      - {AttributeName: gsi3sk, AttributeType: S}
//	    KeySchema:
//	      - {AttributeName: pk, KeyType: HASH}
//	      - {AttributeName: sk, KeyType: RANGE}
//	    GlobalSecondaryIndexes:
//	      - IndexName: gsi1
//	        KeySchema:
//	          - {AttributeName: gsi1pk, KeyType: HASH}
//	          - {AttributeName: gsi1sk, KeyType: RANGE}
//	        Projection: {ProjectionType: ALL}
//	      - IndexName: gsi2   # gsi2pk HASH, gsi2sk RANGE, ALL
//	      - IndexName: gsi3   # gsi3pk HASH, gsi3sk RANGE, ALL
//	    TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
//	    PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
//
// TTL is not part of CreateTable in the API; TimeToLiveInput builds the
// UpdateTimeToLive call that enables it (dynalite, used in tests, ignores TTL).
package dynamo
