import pytest
import torch

from tsfc.models import Forecaster, NetConfig


def make(cell="gru", norm="last", highway=True, layers=1, dropout=0.0, columns=3, window=12, block=5):
    torch.manual_seed(0)
    return Forecaster(NetConfig(cell, columns, window, block, hidden=8, layers=layers,
                                dropout=dropout, norm=norm, highway=highway))


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
@pytest.mark.parametrize("highway", [True, False])
def test_maps_windows_to_blocks(cell, highway):
    net = make(cell, highway=highway)
    assert isinstance(net.rnn, {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM, "rnn": torch.nn.RNN}[cell])
    y = net(torch.randn(4, 12, 3))
    assert y.shape == (4, 5, 3)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
@pytest.mark.parametrize("highway", [True, False])
def test_norm_last_shifts_output_with_input(cell, highway):
    net = make(cell, norm="last", highway=highway).eval()
    x = torch.randn(4, 12, 3)
    with torch.no_grad():
        torch.testing.assert_close(net(x + 7.5), net(x) + 7.5, rtol=0, atol=1e-5)


def test_norm_none_is_not_shift_equivariant():
    net = make(norm="none").eval()
    x = torch.randn(4, 12, 3)
    with torch.no_grad():
        assert not torch.allclose(net(x + 7.5), net(x) + 7.5, atol=1e-3)


def test_dropout_ignored_with_one_layer():
    net = make(layers=1, dropout=0.5).train()
    assert net.rnn.dropout == 0.0
    x = torch.randn(4, 12, 3)
    torch.testing.assert_close(net(x), net(x))


def test_dropout_kept_between_stacked_layers():
    assert make(layers=2, dropout=0.5).rnn.dropout == 0.5


def test_config_dict_rebuilds_same_shapes():
    net = make("lstm")
    again = Forecaster(NetConfig(**net.cfg.to_dict()))
    assert {k: v.shape for k, v in again.state_dict().items()} == {k: v.shape for k, v in net.state_dict().items()}
