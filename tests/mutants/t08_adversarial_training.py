"""Deliberate mutants of solutions/t08_adversarial_training.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "gaussian_noise_not_gradient_sign",
        "tf.sign(grad)",
        "tf.random.normal(tf.shape(grad), dtype=x.dtype)",
        caught_by=("numeric.hand_worked_example", "numeric.losses_match_closed_form",
                   "numeric.update_matches_closed_form"),
    ),
    Mutant(
        "gradient_descent_minus_sign",
        "tf.stop_gradient(x + tf.constant(epsilon, dtype=x.dtype) * tf.sign(grad))",
        "tf.stop_gradient(x - tf.constant(epsilon, dtype=x.dtype) * tf.sign(grad))",
        caught_by=("numeric.hand_worked_example", "numeric.losses_match_closed_form",
                   "behavior.adversarial_loss_not_below_clean"),
    ),
    Mutant(
        "losses_reported_after_the_step",
        '    return {"clean_loss": float(clean_loss), "adv_loss": float(adv_loss), "loss": float(loss)}',
        '    clean_loss = _mean_cross_entropy(label_ids, model([text_t, image_t], training=True))\n'
        '    adv_loss = _mean_cross_entropy(label_ids, model([text_adv, image_adv], training=True))\n'
        '    loss = alpha * clean_loss + (1.0 - alpha) * adv_loss\n'
        '    return {"clean_loss": float(clean_loss), "adv_loss": float(adv_loss), "loss": float(loss)}',
        caught_by=("numeric.hand_worked_example", "numeric.losses_match_closed_form"),
    ),
    Mutant(
        "two_optimizer_steps_clean_then_adversarial",
        "    grads = weight_tape.gradient(loss, variables)\n"
        "    optimizer.apply_gradients(zip(grads, variables, strict=True))",
        "    grads = weight_tape.gradient(clean_loss, variables)\n"
        "    optimizer.apply_gradients(zip([alpha * g for g in grads], variables))\n"
        "    with tf.GradientTape() as tape:\n"
        "        second = (1.0 - alpha) * _mean_cross_entropy(label_ids, model([text_adv, image_adv], training=True))\n"
        "    optimizer.apply_gradients(zip(tape.gradient(second, variables), variables))",
        caught_by=("numeric.hand_worked_example", "numeric.update_matches_closed_form",
                   "behavior.exactly_one_optimizer_step"),
    ),
    Mutant(
        "alpha_weights_the_adversarial_loss",
        "loss = alpha * clean_loss + (1.0 - alpha) * adv_loss",
        "loss = (1.0 - alpha) * clean_loss + alpha * adv_loss",
        caught_by=("numeric.losses_match_closed_form", "numeric.update_matches_closed_form"),
    ),
    Mutant(
        "only_the_image_is_perturbed",
        "text_adv = _fgsm(text_t, grad_text, epsilon)",
        "text_adv = text_t",
        caught_by=("numeric.hand_worked_example", "numeric.losses_match_closed_form",
                   "numeric.update_matches_closed_form"),
    ),
    Mutant(
        "perturbation_from_logits_not_loss",
        "clean_loss, [text_t, image_t], unconnected_gradients",
        "tf.reduce_sum(logits), [text_t, image_t], unconnected_gradients",
        caught_by=("numeric.losses_match_closed_form", "numeric.update_matches_closed_form"),
    ),
    Mutant(
        "model_in_inference_mode",
        "training=True)",
        "training=False)",
        caught_by=("behavior.model_called_in_training_mode",),
    ),
    Mutant(
        "negative_epsilon_accepted",
        "    if epsilon < 0:\n        raise",
        "    if False:\n        raise",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "update_ignores_adversarial_loss",
        "grads = weight_tape.gradient(loss, variables)",
        "grads = weight_tape.gradient(clean_loss, variables)",
        caught_by=("numeric.hand_worked_example", "numeric.update_matches_closed_form"),
    ),
    Mutant(
        "perturbs_caller_text_in_place",
        "        text_adv = _fgsm(text_t, grad_text, epsilon)\n",
        "        text_adv = _fgsm(text_t, grad_text, epsilon)\n"
        "        if isinstance(text, np.ndarray):\n"
        "            text += (text_adv - text_t).numpy()\n",
        caught_by=("behavior.inputs_not_mutated",),
    ),
    Mutant(
        "fractional_labels_a_type_error",
        '            raise ValueError("labels must hold whole numbers',
        '            raise TypeError("labels must hold whole numbers',
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "bool_labels_taken_as_class_ids",
        'if array.dtype.kind not in "iuf":',
        'if array.dtype.kind not in "biuf":',
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "whole_number_float_labels_rejected",
        '        array = array.astype(np.int64)',
        '        raise TypeError(f"labels must be integer class ids, got dtype {array.dtype}")',
        caught_by=("shape.lists_batch_of_one_and_float64",),
    ),
]
