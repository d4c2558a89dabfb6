"""A few steps of an MLP on synthetic data with JAX and optax."""

import json

import jax
import jax.numpy as jnp
import optax

key = jax.random.PRNGKey(0)
kx, k1, k2 = jax.random.split(key, 3)
x = jax.random.normal(kx, (512, 16))
y = (x[:, :4].sum(axis=1, keepdims=True) > 0).astype(jnp.float32)
params = {
    "w1": jax.random.normal(k1, (16, 32)) * 0.1,
    "b1": jnp.zeros(32),
    "w2": jax.random.normal(k2, (32, 1)) * 0.1,
    "b2": jnp.zeros(1),
}


def loss_fn(p):
    h = jax.nn.relu(x @ p["w1"] + p["b1"])
    return optax.sigmoid_binary_cross_entropy(h @ p["w2"] + p["b2"], y).mean()


opt = optax.adam(0.01)
state = opt.init(params)


@jax.jit
def step(p, s):
    loss, grads = jax.value_and_grad(loss_fn)(p)
    updates, s = opt.update(grads, s)
    return optax.apply_updates(p, updates), s, loss


losses = []
for _ in range(60):
    params, state, loss = step(params, state)
    losses.append(float(loss))
print(json.dumps({"first": losses[0], "last": losses[-1]}))
