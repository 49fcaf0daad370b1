package elbv2emulator

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// page cuts items to the page a Describe call's Marker and PageSize ask
// for (PageSize 1-400, default 400); the marker is the offset of the
// next page.
func page[T any](items []T, marker *string, pageSize *int32) ([]T, *string, error) {
	size := 400
	if pageSize != nil {
		if *pageSize < 1 || *pageSize > 400 {
			return nil, nil, validationErr("Page size must be between 1 and 400")
		}
		size = int(*pageSize)
	}
	start := 0
	if marker != nil {
		n, err := strconv.Atoi(*marker)
		if err != nil || n < 0 || n > len(items) {
			return nil, nil, validationErr("The marker '%s' is not valid", *marker)
		}
		start = n
	}
	end := min(start+size, len(items))
	var next *string
	if end < len(items) {
		next = aws.String(strconv.Itoa(end))
	}
	return items[start:end], next, nil
}
