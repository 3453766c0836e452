package cph

import (
	"context"
	"time"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// sameGeneration reports whether a server may change from one server model to another (5.1.12
// allows it only "between servers of the same generation"). The catalogue's generation of a
// server model is its processor, server_type (Hi1616, Hi1620), for one product (cloud phone or
// cloud game): the models of one generation are the same machine sold in other shapes, which is
// why a server changes model in place.
func sameGeneration(from, to api.ServerModel) bool {
	return from.ServerType == to.ServerType && from.ProductType == to.ProductType
}

// phoneModelFits reports why a server's phones cannot become phones of model to, or nil. The
// reference requires the same number of phones; the phones also keep their image and their data
// volumes through the change, so to must run images of the same label and have the same volume
// layout (phone_model_version). Each is CPS.0157.
func phoneModelFits(from, to api.PhoneModel) error {
	switch {
	case to.PhoneCapacity != from.PhoneCapacity:
		return CPS0157.Errf("phone model %s runs %d phones, the server runs %d", to.PhoneModelName, to.PhoneCapacity, from.PhoneCapacity)
	case to.ImageLabel != from.ImageLabel:
		return CPS0157.Errf("phone model %s runs %s images, the server's phones run %s", to.PhoneModelName, to.ImageLabel, from.ImageLabel)
	case to.PhoneModelVersion != from.PhoneModelVersion:
		return CPS0157.Errf("phone model %s has another volume layout than %s", to.PhoneModelName, from.PhoneModelName)
	}
	return nil
}

// validateModelChange checks a model change request (5.1.12) in the order of table 5-81, and
// then against the server: which server models it may become (sameGeneration, CPS.0247), which
// phone models (phoneModelFits), and that something changes (CPS.0250).
func validateModelChange(req *api.ChangeServerModelRequest, srv *store.Server, cat *Catalog) (api.PhoneModel, error) {
	if req.ServerModelName == "" {
		return api.PhoneModel{}, CPS0088.Err()
	}
	to, ok := cat.ServerModel(req.ServerModelName)
	if !ok {
		return api.PhoneModel{}, CPS0246.Errf("%s", req.ServerModelName)
	}
	pm, err := validatePhoneModel(req.PhoneModelName, req.ServerModelName, cat)
	if err != nil {
		return pm, err
	}
	if ep := req.ExtendParam; ep != nil && !optionalFlag(ep.IsAutoPay) {
		return pm, CPS0060.Errf("is_auto_pay must be 0 or 1")
	}
	if req.ServerModelName == srv.ServerModelName && req.PhoneModelName == srv.PhoneModelName {
		return pm, CPS0250.Err()
	}
	from, ok := cat.ServerModel(srv.ServerModelName)
	if !ok || !sameGeneration(from, to) {
		return pm, CPS0247.Errf("%s is not of the generation of %s", req.ServerModelName, srv.ServerModelName)
	}
	cur, ok := cat.PhoneModel(srv.PhoneModelName)
	if !ok {
		return pm, CPS0245.Errf("the server's phone model %s is no longer known", srv.PhoneModelName)
	}
	return pm, phoneModelFits(cur, pm)
}

// ChangeServerModel changes a running server's model (5.1.12) and answers at once with the new
// order, as the order centre would. The record changes in the same transaction: the server's
// server and phone models, its order and product ids, and every phone's model. The server keeps
// its host, and its phones their ids, image and data: they restart with the new phone model's
// shape, through the same job as a server restart (the server shows 13, its phones 4, until they
// are back), listed under the request id.
//
// A simulated or container host has no fixed shape, and a generation is one kind of machine, so
// the server is not moved: the host inventory keeps reporting the host under the model its driver
// gives it, and when the server is released the host returns to that pool.
//
// A server that is not running (5) cannot change (CPS.0245); one whose phones are in another
// operation is CPS.0349.
func (s *Service) ChangeServerModel(ctx context.Context, projectID, requestID string, req *api.ChangeServerModelRequest) (*api.ChangeServerModelResponse, error) {
	if !isHexID(req.ServerID) {
		return nil, CPS0097.Err()
	}
	srv, err := s.st.ServerGet(ctx, projectID, req.ServerID)
	if err != nil {
		return nil, notFound(err, CPS0015)
	}
	if _, err := validateModelChange(req, srv, s.cat); err != nil {
		return nil, err
	}
	resp := &api.ChangeServerModelResponse{RequestID: requestID, OrderID: newOrderID(), ProductID: newProductID()}
	now := time.Now().UTC()
	err = s.st.InTx(ctx, func(tx store.Store) error {
		srv, err := tx.ServerGet(ctx, projectID, req.ServerID)
		if err != nil {
			return notFound(err, CPS0015)
		}
		if srv.Status != store.ServerRunning {
			return CPS0245.Errf("the server's status is %d", srv.Status)
		}
		// Again against what commits: another change may have landed since.
		if _, err := validateModelChange(req, srv, s.cat); err != nil {
			return err
		}
		if err := s.markServerRestarting(ctx, tx, srv); err != nil {
			return err
		}
		if err := tx.ServerPhonesUpdate(ctx, &store.ServerPhonesUpdateParams{
			ProjectID: projectID, ServerID: srv.ID, PhoneModelName: &req.PhoneModelName,
		}); err != nil {
			return err
		}
		if err := tx.ServerUpdate(ctx, &store.ServerUpdateParams{
			ProjectID: projectID, ID: srv.ID, ServerModelName: &req.ServerModelName,
			PhoneModelName: &req.PhoneModelName, OrderID: &resp.OrderID, ProductID: &resp.ProductID,
		}); err != nil {
			return err
		}
		_, err = queueServerJob(ctx, tx, projectID, requestID, kindServerRestart, srv.ID, nil, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.eng.Notify()
	return resp, nil
}
