//! An MLP and a small CNN initialized by nninit through candle's
//! `VarBuilder`, trained a few SGD steps on random data (the README's
//! example; CI runs it): `cargo run --release -p nninit-candle --example mlp_cnn`.

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{conv2d, linear, loss, Conv2dConfig, Optimizer, VarMap, SGD};
use nninit_candle::{var_builder, Policy, Rules};

fn main() -> candle_core::Result<()> {
    let dev = Device::Cpu;

    // an MLP with PyTorch's default init, keyed by name and seed 42
    let varmap = VarMap::new();
    let vb = var_builder(&varmap, 42, None, Policy::Torch, DType::F32, &dev);
    let fc1 = linear(64, 128, vb.pp("fc1"))?;
    let fc2 = linear(128, 10, vb.pp("fc2"))?;
    let x = Tensor::randn(0f32, 1.0, (32, 64), &dev)?;
    let labels: Vec<u32> = (0..32).map(|i| i % 10).collect();
    let y = Tensor::new(labels.as_slice(), &dev)?;
    let mut opt = SGD::new(varmap.all_vars(), 0.05)?;
    for step in 0..3 {
        let logits = fc2.forward(&fc1.forward(&x)?.relu()?)?;
        let l = loss::cross_entropy(&logits, &y)?;
        opt.backward_step(&l)?;
        println!("mlp step {step}: loss {:.4}", l.to_scalar::<f32>()?);
    }

    // a small CNN: He init for the convolutions by a rule, the rest torch's
    let rules = Rules::new(&[("conv*.weight", "kaiming_normal(nonlinearity=relu)")])
        .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
    let varmap = VarMap::new();
    let vb = var_builder(&varmap, 42, Some(rules), Policy::Torch, DType::F32, &dev);
    let cfg = Conv2dConfig {
        padding: 1,
        ..Default::default()
    };
    let conv1 = conv2d(1, 8, 3, cfg, vb.pp("conv1"))?;
    let conv2 = conv2d(8, 16, 3, cfg, vb.pp("conv2"))?;
    let head = linear(16, 10, vb.pp("head"))?;
    let img = Tensor::randn(0f32, 1.0, (4, 1, 8, 8), &dev)?;
    let h = conv2.forward(&conv1.forward(&img)?.relu()?)?.relu()?;
    let logits = head.forward(&h.mean(D::Minus1)?.mean(D::Minus1)?)?;
    println!(
        "cnn logits {:?}, {} parameters",
        logits.dims(),
        varmap.all_vars().len()
    );
    Ok(())
}
