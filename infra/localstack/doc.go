// Package localstack holds cxloop's integration suite for the real SAM
// template deployed to LocalStack. The tests carry the localstack build
// tag; run them with `make localstack-test`, or deploy.sh then test.sh.
package localstack
