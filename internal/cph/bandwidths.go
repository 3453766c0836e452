package cph

import (
	"context"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// Bandwidth share types of table 5-13.
const (
	BandwidthDedicated = 0
	BandwidthShared    = 1
)

// ListBandwidths pages a project's bandwidths (5.2.1).
func (s *Service) ListBandwidths(ctx context.Context, projectID string, page store.Page) ([]api.Bandwidth, error) {
	rows, _, err := s.st.BandwidthList(ctx, &store.BandwidthListParams{ProjectID: projectID, Page: page})
	if err != nil {
		return nil, err
	}
	out := make([]api.Bandwidth, len(rows))
	for i := range rows {
		out[i] = bandwidthView(&rows[i])
	}
	return out, nil
}

// UpdateBandwidth resizes a shared bandwidth (5.2.2): the size must follow the step rules, and a
// dedicated bandwidth cannot be changed here (CPS.0160). The runtime applies the new size to the
// hosts of the servers that use it, where it can (applyBandwidth).
func (s *Service) UpdateBandwidth(ctx context.Context, projectID, id string, size *int) error {
	if size == nil || !ValidBandwidthSize(*size) {
		return CPS0036.Err()
	}
	return s.st.InTx(ctx, func(tx store.Store) error {
		bw, err := tx.BandwidthGet(ctx, projectID, id)
		if err != nil {
			return notFound(err, CPS0115)
		}
		if bw.ShareType != BandwidthShared {
			return CPS0160.Err()
		}
		if err := tx.BandwidthUpdateSize(ctx, projectID, id, *size); err != nil {
			return err
		}
		return s.applyBandwidth(ctx, tx, projectID, id, *size)
	})
}

func bandwidthView(b *store.Bandwidth) api.Bandwidth {
	return api.Bandwidth{
		BandWidthName: b.Name, BandWidthID: b.ID, BandWidthSize: b.Size,
		BandWidthChargeMode: b.ChargeMode, BandWidthShareType: b.ShareType,
		CreateTime: api.FormatTime(b.CreatedAt), UpdateTime: api.FormatTime(b.UpdatedAt),
	}
}
