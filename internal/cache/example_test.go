package cache_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// A page is translated paragraph by paragraph; after an edit only the edited
// paragraph reaches the provider.
func Example() {
	c, err := cache.New(cache.Config{}) // L1 only; pass L2: the embedded store in production
	if err != nil {
		panic(err)
	}
	translate := func(paras []string) {
		reqs := make([]cache.Request, len(paras))
		for i, p := range paras {
			reqs[i] = cache.NewRequest(cache.KeyParts{
				CustomerID: "cus_1", Kind: "translation.draft", Input: p,
				Params: map[string]string{"to": "nl"}, ModelClass: "small", Version: "translate-v2",
			})
		}
		vals, _, err := c.DoBlocks(context.Background(), reqs, func(ctx context.Context, missing []int) ([][]byte, []copydesk.Micros, error) {
			fmt.Println("provider translates blocks", missing)
			out := make([][]byte, len(missing))
			for j, i := range missing {
				out[j] = []byte(strings.ToUpper(paras[i])) // stands in for the model
			}
			return out, make([]copydesk.Micros, len(missing)), nil
		})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s\n", vals)
	}
	translate([]string{"one", "two", "three"})
	translate([]string{"one", "TWO!", "three"})
	fmt.Printf("hit rate %.2f\n", c.Stats(context.Background()).Total.HitRate)
	// Output:
	// provider translates blocks [0 1 2]
	// [ONE TWO THREE]
	// provider translates blocks [1]
	// [ONE TWO! THREE]
	// hit rate 0.33
}
