package app

import (
	"reflect"
	"testing"
)

func TestWaves(t *testing.T) {
	tests := []struct {
		replicas, initial int
		growth            float64
		want              []int
	}{
		{6, 1, 2, []int{1, 2, 3}},
		{10, 1, 2, []int{1, 2, 4, 3}},
		{1, 1, 2, []int{1}},
		{0, 1, 2, nil},
		{5, 1, 1, []int{1, 1, 1, 1, 1}},
		{5, 10, 2, []int{5}},
		{7, 2, 1.5, []int{2, 3, 2}},
		{4, 0, 0, []int{1, 1, 1, 1}},
	}
	for _, tt := range tests {
		r := Rollout{InitialBatch: tt.initial, Growth: tt.growth}
		if got := r.Waves(tt.replicas); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Waves(%d) with initial %d, growth %v = %v, want %v", tt.replicas, tt.initial, tt.growth, got, tt.want)
		}
	}
}
