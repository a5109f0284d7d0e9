"""Deliberate mutants of solutions/t19_export_serving.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "serves_training_mode",
        'archive.add_endpoint("serve", lambda x: model(x, training=False), input_signature=specs)',
        'archive.add_endpoint("serve", lambda x: model(x, training=True), input_signature=specs)',
        caught_by=("numeric.hand_worked_example", "numeric.fresh_process_answers_like_inference",
                   "numeric.serving_signature_is_inference"),
    ),
    Mutant(
        "fixed_batch_of_one",
        "tf.TensorSpec(shape=(None, *x.shape[1:])",
        "tf.TensorSpec(shape=(1, *x.shape[1:])",
        caught_by=("shape.returns_an_existing_saved_model", "shape.serve_accepts_any_batch_size",
                   "numeric.fresh_process_answers_like_inference"),
    ),
    Mutant(
        "plain_saved_model_without_serve",
        "    archive.write_out(path, verbose=False)",
        "    tf.saved_model.save(model, path)",
        caught_by=("shape.returns_an_existing_saved_model", "numeric.fresh_process_answers_like_inference",
                   "numeric.serving_signature_is_inference"),
    ),
    Mutant(
        "returns_the_parent_folder",
        "    return path",
        "    return os.path.dirname(path)",
        caught_by=("shape.returns_an_existing_saved_model", "behavior.exports_into_new_nested_folders"),
    ),
    Mutant(
        "parent_created_with_mkdir",
        "    os.makedirs(os.path.dirname(path), exist_ok=True)",
        "    os.mkdir(os.path.dirname(path))",
        caught_by=("behavior.exports_into_new_nested_folders",),
    ),
    Mutant(
        "overwrites_a_non_empty_folder",
        "    if os.path.isdir(path) and os.listdir(path):",
        "    if False:",
        caught_by=("behavior.bad_arguments_are_errors",),
    ),
    Mutant(
        "no_type_checks",
        "    if not isinstance(model, keras.Model):",
        "    if False:",
        caught_by=("behavior.bad_arguments_are_errors",),
    ),
    Mutant(
        "several_inputs_served_as_one_list",
        'archive.add_endpoint("serve", lambda *xs: model(list(xs), training=False), input_signature=specs)',
        'archive.add_endpoint("serve", lambda xs: model(list(xs), training=False), input_signature=[specs])',
        caught_by=("behavior.two_input_model_served_with_one_argument_per_input",),
    ),
    Mutant(
        # "smaller for serving": rounds the caller's model itself. The hand model's weights are
        # exact in float16, so only the two-input model's random weights show it.
        "rounds_the_model_weights_in_place",
        "    specs = _input_specs(model)\n",
        "    specs = _input_specs(model)\n"
        "    for w in model.weights:\n"
        "        w.assign(tf.cast(tf.cast(w, tf.float16), w.dtype))\n",
        caught_by=("behavior.model_unchanged_by_export",
                   "behavior.two_input_model_served_with_one_argument_per_input"),
    ),
]
